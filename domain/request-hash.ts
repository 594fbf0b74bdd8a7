// The idempotency hash of a payment request: SHA-256 over its canonical content. Two requests with
// the same bank reference and the same hash are the same payment ("1000" and "1000.00" are the
// same amount); the same reference with another hash is a conflict.
import { createHash } from 'node:crypto';
import type { PaymentRequest } from './payment-types';

function canonicalAmount(value: unknown): unknown {
  if (typeof value === 'string' && /^\d+(\.\d{1,2})?$/.test(value)) {
    const [whole = '0', frac = ''] = value.split('.');
    return `${BigInt(whole).toString()}.${frac.padEnd(2, '0')}`;
  }
  return value;
}

export function canonicalRequest(req: PaymentRequest): Record<string, unknown> {
  const bySerivce = <T extends { service?: unknown }>(a: T, b: T) => String(a.service).localeCompare(String(b.service));
  return {
    bankCode: req.bankCode,
    bankRef: req.bankRef,
    channel: req.channel,
    account: req.account,
    amount: canonicalAmount(req.amount),
    lines: Array.isArray(req.lines) ? [...req.lines].map((l) => ({ service: l?.service, amount: canonicalAmount(l?.amount) })).sort(bySerivce) : null,
    readings: Array.isArray(req.readings) ? [...req.readings].map((r) => ({ service: r?.service, value: r?.value })).sort(bySerivce) : null,
    paidAt: req.paidAt ? new Date(req.paidAt).toISOString() : null,
    registerId: req.registerId ?? null,
    pileNo: req.pileNo ?? null,
  };
}

export function requestHash(req: PaymentRequest): string {
  return createHash('sha256').update(JSON.stringify(canonicalRequest(req))).digest('hex');
}
