// Tests that settle days long past (each test file takes a year of its own, so that settlement ids
// on the shared dev server never collide) submit payments as the bank did then: received when they
// were paid. The SPC itself refuses a paidAt more than PAID_AT_PAST_DAYS_MAX days before receipt.
import { submitPayment } from '../../client/payments';
import type { PaymentRequest } from '../../domain/payment-types';
import { WORLD } from './payment-world';

export function submitPaymentAsOfPaidAt(ctx: Parameters<typeof submitPayment>[0], request: PaymentRequest): ReturnType<typeof submitPayment> {
  return submitPayment(ctx, request, request.paidAt === undefined ? {} : { receivedAt: new Date(request.paidAt) });
}

/** A cash-desk payment of 450.00 to the payment world's account at noon of `date` (Almaty); throws when refused. */
export async function acceptedWorldPayment(ctx: Parameters<typeof submitPayment>[0], date: string, bankRef: string, overrides: Partial<PaymentRequest> = {}) {
  const outcome = await submitPaymentAsOfPaidAt(ctx, {
    bankCode: WORLD.bank, bankRef, channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${date}T12:00:00+05:00`, ...overrides,
  });
  if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
  return outcome.payment;
}
