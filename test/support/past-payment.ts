// Tests that settle days long past (each test file takes a year of its own, so that settlement ids
// on the shared dev server never collide) submit payments as the bank did then: received when they
// were paid. The SPC itself refuses a paidAt more than PAID_AT_PAST_DAYS_MAX days before receipt.
import { submitPayment } from '../../client/payments';
import type { PaymentRequest } from '../../domain/payment-types';

export function submitPaymentAsOfPaidAt(ctx: Parameters<typeof submitPayment>[0], request: PaymentRequest): ReturnType<typeof submitPayment> {
  return submitPayment(ctx, request, request.paidAt === undefined ? {} : { receivedAt: new Date(request.paidAt) });
}
