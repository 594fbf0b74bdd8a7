// The provider's daily payment register (issue 19): for one provider and business day, one section
// per bank list line that paid it, holding the payment lines (per allocation) and the correction
// adjustments that list line nets in. The invariant the provider reconciles by is asserted here,
// before any file is written: per bank, Σ payment lines + Σ adjustment lines = the list line's
// amount, to the tiyn; the register's total is the sum of its banks' list lines.
// Pure and deterministic: no clock, no I/O, no Node built-ins.
import { Money, ZERO, formatAmount, sum } from './money';

export type ProviderRegisterFormat = 'csv' | 'camt054';
export const PROVIDER_REGISTER_FORMATS: readonly ProviderRegisterFormat[] = ['csv', 'camt054'];
/** What each format is served (GET) and pushed (webhook) as. */
export const PROVIDER_REGISTER_CONTENT_TYPES: Record<ProviderRegisterFormat, string> = { csv: 'text/csv; charset=utf-8', camt054: 'application/xml; charset=utf-8' };

/** Most payment lines one register holds: a provider of a big city gets ~60 000 a day at peak. */
export const PROVIDER_REGISTER_LINES_MAX = 1_000_000;

export interface RegisterPaymentLine {
  kind: 'payment';
  account: string;
  service: string;
  amount: string;
  bankRef: string;
  channel: string;
  paidAt: string;
  /** The meter reading sent with the payment for this service, three fraction digits; null without one. */
  reading: string | null;
}

export interface RegisterAdjustmentLine {
  kind: 'adjustment';
  /** Signed: below zero the provider was paid too much earlier and this list takes it back. */
  amount: string;
  /** The correction's public reference (K<seq>), the one in the list line's EndToEndId and remittance text. */
  correctionRef: string;
  /** The bank reference of the corrected payment. */
  bankRef: string;
}

export type RegisterLine = RegisterPaymentLine | RegisterAdjustmentLine;

export interface RegisterBankSection {
  bankCode: string;
  bankName: string;
  bankBic: string;
  settlementId: string;
  endToEndId: string;
  executionDate: string;
  /** The amount of the bank's list line to this provider. */
  listAmount: string;
  lines: RegisterLine[];
}

export interface ProviderRegisterInput {
  registerId: string;
  providerId: string;
  providerName: string;
  providerIban: string;
  businessDate: string;
  /** Fixed when the day's lists were all delivered (the latest delivery), so rebuilding gives the same bytes. */
  createdAt: string;
  /** Sections in bank code order; lines in the order given (payments by paid-at and reference, then adjustments). */
  banks: RegisterBankSection[];
}

export class ProviderRegisterInvariantError extends Error {
  override name = 'ProviderRegisterInvariantError';
}

/** Signed contribution of a line to the provider's money. */
export function lineAmount(line: RegisterLine): Money {
  return new Money(line.amount);
}

export function sectionTotal(section: RegisterBankSection): Money {
  return sum(section.lines.map(lineAmount));
}

export function registerTotal(input: ProviderRegisterInput): Money {
  return sum(input.banks.map((b) => new Money(b.listAmount)));
}

export function registerLineCount(input: ProviderRegisterInput): number {
  return input.banks.reduce((n, b) => n + b.lines.length, 0);
}

/** Throws unless every bank's lines sum to its list line to the tiyn, and the sections are in bank order. */
export function assertValidRegister(input: ProviderRegisterInput): void {
  let previous = '';
  for (const b of input.banks) {
    if (b.bankCode <= previous) throw new ProviderRegisterInvariantError(`register ${input.registerId}: banks out of order at ${b.bankCode}`);
    previous = b.bankCode;
    const lines = sectionTotal(b);
    const list = new Money(b.listAmount);
    if (!lines.eq(list)) {
      throw new ProviderRegisterInvariantError(`register ${input.registerId}: ${b.bankCode} lines sum to ${formatAmount(lines)}, its list line ${b.endToEndId} is ${formatAmount(list)}`);
    }
    if (list.lt(ZERO)) throw new ProviderRegisterInvariantError(`register ${input.registerId}: list line ${b.endToEndId} is negative`);
    for (const l of b.lines) if (l.kind === 'payment' && !new Money(l.amount).gt(ZERO)) throw new ProviderRegisterInvariantError(`register ${input.registerId}: payment ${l.bankRef} of ${l.amount}`);
  }
  if (registerLineCount(input) > PROVIDER_REGISTER_LINES_MAX) throw new ProviderRegisterInvariantError(`register ${input.registerId}: more than ${PROVIDER_REGISTER_LINES_MAX} lines`);
}

/** '<PROVIDER>:<YYYY-MM-DD>:v<n>'. */
export function providerRegisterId(providerId: string, businessDate: string, version: number): string {
  return `${providerId}:${businessDate}:v${version}`;
}
