// Checks of a payment request that need no database: shape, channel, amounts, duplicates.
// Each failure is a typed rejection with a stable code; the posting activity runs these first and
// then the checks that need the invoice (unknown service, amount mismatch, readings).
import { truncateForMessage } from './echo';
import { INSTANT_EXAMPLE, parseIsoInstant } from './instant';
import { Money, parseAmount, InvalidAmountError, sum } from './money';
import {
  ACCOUNT_RE, BANK_REF_RE, CHANNELS, Channel, PAYMENT_LINES_MAX, PAYMENT_READINGS_MAX, PaymentRequest, RejectionCode, SERVICE_CODE_RE,
} from './payment-types';

/** Thrown when a payment is refused for a business reason; `code` is the stable machine-readable reason. */
export class PaymentRejection extends Error {
  override name = 'PaymentRejection';
  constructor(readonly code: RejectionCode, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

export interface ValidPaymentRequest {
  bankCode: string;
  bankRef: string;
  channel: Channel;
  account: string;
  amount: Money;
  lines?: Array<{ service: string; amount: Money }>;
  readings: Array<{ service: string; value: Money }>;
  paidAt: Date;
}

const READING_RE = /^\d{1,11}(\.\d{1,3})?$/;
/** A payment may be dated at most this far in the future (clock skew between bank and SPC). */
export const PAID_AT_FUTURE_SKEW_MS = 5 * 60_000;
/**
 * A payment may be dated at most this many days before the SPC received it. The paper register
 * comes the next morning and a long holiday (New Year and Christmas, Nauryz) keeps a bank-day
 * open for five days; ten days leaves room for both. Anything older is a device with a reset
 * clock (2001-01-01) or a lost file: posting it would put money on a bank-day long settled, so it
 * is refused with PAID_AT_TOO_OLD and the bank corrects the date. Within the bound, a payment
 * whose own day is already closed moves to the first open business day (domain/calendar.ts).
 * Registers apply the same bound at their entrance, to the register's upload (api/routes/registers.ts).
 */
export const PAID_AT_PAST_DAYS_MAX = 10;
const DAY_MS = 86_400_000;

/** Why an instant is not acceptable as the paidAt of a payment received at `receivedAt`, or null when it is. */
export function paidAtProblem(paidAt: Date, receivedAt: Date): { code: RejectionCode; message: string } | null {
  if (paidAt.getTime() > receivedAt.getTime() + PAID_AT_FUTURE_SKEW_MS) return { code: 'INVALID_REQUEST', message: 'paidAt is in the future' };
  if (paidAt.getTime() < receivedAt.getTime() - PAID_AT_PAST_DAYS_MAX * DAY_MS) {
    return {
      code: 'PAID_AT_TOO_OLD',
      message: `paidAt ${paidAt.toISOString()} is more than ${PAID_AT_PAST_DAYS_MAX} days before the SPC received the payment: check the device's clock and send the real time`,
    };
  }
  return null;
}

/** The paidAt of a request as an instant; throws the PaymentRejection a bank sees for a bad one. */
export function parsePaidAt(text: unknown): Date {
  const instant = parseIsoInstant(text);
  if (instant === null) throw new PaymentRejection('INVALID_REQUEST', `paidAt must be an ISO-8601 instant with a zone and a real date, such as ${INSTANT_EXAMPLE}`);
  return instant;
}

function amountOf(value: unknown, what: string): Money {
  try {
    const amount = parseAmount(value);
    if (amount.lte(0) && what === 'total') throw new InvalidAmountError(value, 'must be greater than zero');
    return amount;
  } catch (err) {
    if (err instanceof InvalidAmountError) throw new PaymentRejection('INVALID_AMOUNT', `${what}: ${err.message}`, { field: what });
    throw err;
  }
}

export function validatePaymentRequest(req: PaymentRequest, receivedAt: Date): ValidPaymentRequest {
  if (typeof req.bankRef !== 'string' || !BANK_REF_RE.test(req.bankRef)) {
    throw new PaymentRejection('INVALID_REQUEST', 'bankRef must be 1-64 characters of letters, digits and . _ - /');
  }
  if (!CHANNELS.includes(req.channel)) throw new PaymentRejection('INVALID_REQUEST', `channel must be one of ${CHANNELS.join(', ')}`);
  if (typeof req.account !== 'string' || !ACCOUNT_RE.test(req.account)) {
    throw new PaymentRejection('ACCOUNT_NOT_FOUND', `personal account ${truncateForMessage(req.account)} is not in the SPC database (it must be 6-16 digits)`);
  }
  const amount = amountOf(req.amount, 'total');

  let lines: ValidPaymentRequest['lines'];
  if (req.lines !== undefined) {
    if (!Array.isArray(req.lines) || req.lines.length === 0 || req.lines.length > PAYMENT_LINES_MAX) {
      throw new PaymentRejection('INVALID_REQUEST', `lines must list 1-${PAYMENT_LINES_MAX} services, or be omitted`);
    }
    const seen = new Set<string>();
    lines = req.lines.map((line, i) => {
      if (typeof line?.service !== 'string' || !SERVICE_CODE_RE.test(line.service)) {
        throw new PaymentRejection('UNKNOWN_SERVICE', `lines[${i}].service ${truncateForMessage(line?.service)} is not a service code`);
      }
      if (seen.has(line.service)) throw new PaymentRejection('INVALID_REQUEST', `service ${line.service} appears twice in lines`);
      seen.add(line.service);
      return { service: line.service, amount: amountOf(line.amount, `lines[${i}] (${line.service})`) };
    });
    const linesTotal = sum(lines.map((l) => l.amount));
    if (!linesTotal.eq(amount)) {
      throw new PaymentRejection('AMOUNT_MISMATCH', `per-service amounts sum to ${linesTotal.toFixed(2)} but the total is ${amount.toFixed(2)}`, {
        linesTotal: linesTotal.toFixed(2),
        amount: amount.toFixed(2),
      });
    }
    lines = lines.filter((l) => l.amount.gt(0));
  }

  const readings: ValidPaymentRequest['readings'] = [];
  if (req.readings !== undefined) {
    if (!Array.isArray(req.readings) || req.readings.length > PAYMENT_READINGS_MAX) {
      throw new PaymentRejection('INVALID_REQUEST', `readings must be a list of at most ${PAYMENT_READINGS_MAX}`);
    }
    const seen = new Set<string>();
    for (const [i, r] of req.readings.entries()) {
      if (typeof r?.service !== 'string' || !SERVICE_CODE_RE.test(r.service)) {
        throw new PaymentRejection('INVALID_READING', `readings[${i}].service ${truncateForMessage(r?.service)} is not a service code`);
      }
      if (typeof r.value !== 'string' || !READING_RE.test(r.value)) {
        throw new PaymentRejection('INVALID_READING', `readings[${i}] (${r.service}): value must be a decimal string with up to 3 fraction digits`);
      }
      if (seen.has(r.service)) throw new PaymentRejection('INVALID_READING', `service ${r.service} has two readings`);
      seen.add(r.service);
      readings.push({ service: r.service, value: new Money(r.value) });
    }
  }

  let paidAt = receivedAt;
  if (req.paidAt !== undefined) {
    paidAt = parsePaidAt(req.paidAt);
    const problem = paidAtProblem(paidAt, receivedAt);
    // A register row's receipt is the register's upload, which its entrance has already bounded;
    // the row itself may be posted hours later, so only the future check applies to it here.
    if (problem && !(problem.code === 'PAID_AT_TOO_OLD' && req.channel === 'register')) throw new PaymentRejection(problem.code, problem.message, { field: 'paidAt' });
  }
  return { bankCode: req.bankCode, bankRef: req.bankRef, channel: req.channel, account: req.account, amount, lines, readings, paidAt };
}
