// The idempotency hash of a payment request: SHA-256 over its canonical content. Two requests with
// the same bank reference and the same hash are the same payment ("1000" and "1000.00" are the
// same amount); the same reference with another hash is a conflict. The canonical form follows
// what validation makes of a request (domain/payment-validation.ts): a zero line is dropped there,
// so it is dropped here; a reading 12345.60 is the reading 12345.6; an instant is the moment it
// names (domain/instant.ts), whatever zone it was written in.
import { createHash } from 'node:crypto';
import { canonicalInstant } from './instant';
import type { PaymentRequest } from './payment-types';

const ZERO_AMOUNT = '0.00';

function canonicalAmount(value: unknown): unknown {
  if (typeof value === 'string' && /^\d+(\.\d{1,2})?$/.test(value)) {
    const [whole = '0', frac = ''] = value.split('.');
    return `${BigInt(whole).toString()}.${frac.padEnd(2, '0')}`;
  }
  return value;
}

/** "012345.600" → "12345.6": the same meter value. Anything else is kept as sent (validation refuses it). */
function canonicalReading(value: unknown): unknown {
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value)) return value;
  const [whole = '0', frac = ''] = value.split('.');
  const fraction = frac.replace(/0+$/, '');
  return fraction ? `${BigInt(whole).toString()}.${fraction}` : BigInt(whole).toString();
}

export function canonicalRequest(req: PaymentRequest): Record<string, unknown> {
  const byService = <T extends { service?: unknown }>(a: T, b: T) => String(a.service).localeCompare(String(b.service));
  return {
    bankCode: req.bankCode,
    bankRef: req.bankRef,
    channel: req.channel,
    account: req.account,
    amount: canonicalAmount(req.amount),
    lines: Array.isArray(req.lines)
      ? [...req.lines].map((l) => ({ service: l?.service, amount: canonicalAmount(l?.amount) })).filter((l) => l.amount !== ZERO_AMOUNT).sort(byService)
      : null,
    readings: Array.isArray(req.readings) ? [...req.readings].map((r) => ({ service: r?.service, value: canonicalReading(r?.value) })).sort(byService) : null,
    // An instant that does not parse is kept as written: validation refuses it, and two different
    // malformed texts must not look like the same request.
    paidAt: req.paidAt === undefined || req.paidAt === null ? null : (canonicalInstant(req.paidAt) ?? String(req.paidAt)),
    registerId: req.registerId ?? null,
    pileNo: req.pileNo ?? null,
  };
}

export function requestHash(req: PaymentRequest): string {
  return createHash('sha256').update(JSON.stringify(canonicalRequest(req))).digest('hex');
}
