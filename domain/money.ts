// Money in KZT, exact to the tiyn (0.01). Amounts live as decimal.js values inside the code and as
// decimal strings with exactly two fraction digits on every boundary (JSON, Temporal payloads, files,
// SQL parameters). A JS number never holds money.
import Decimal from 'decimal.js';

/** A Decimal constructor of our own, so that no other module's global Decimal settings leak in. */
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });
export type Money = Decimal;

export const ZERO = new Money(0);
export const TIYN = new Money('0.01');

/** Largest amount one payment may carry: far above any household bill, far below NUMERIC(18,2). */
export const AMOUNT_MAX = new Money('100000000.00');

const AMOUNT_RE = /^(0|[1-9]\d{0,15})(\.\d{1,2})?$/;

/** Thrown when a string is not a valid non-negative KZT amount (at most two fraction digits). */
export class InvalidAmountError extends Error {
  override name = 'InvalidAmountError';
  constructor(readonly input: unknown, reason: string) {
    super(`invalid amount ${JSON.stringify(input)}: ${reason}`);
  }
}

/**
 * Parses a decimal string such as "1000", "1000.5" or "1000.50". Rejects signs, exponents,
 * separators, more than two fraction digits and numbers given as JS numbers: a boundary that
 * sends 0.1 + 0.2 must be refused, not rounded.
 */
export function parseAmount(input: unknown): Money {
  if (typeof input !== 'string') throw new InvalidAmountError(input, 'amounts are decimal strings such as "1250.50"');
  if (/^\d+\.\d{3,}$/.test(input)) throw new InvalidAmountError(input, 'more than two fraction digits (1 tiyn = 0.01)');
  if (!AMOUNT_RE.test(input)) throw new InvalidAmountError(input, 'expected digits with an optional "." and up to two fraction digits');
  const value = new Money(input);
  if (value.gt(AMOUNT_MAX)) throw new InvalidAmountError(input, `above the limit of ${formatAmount(AMOUNT_MAX)}`);
  return value;
}

/** Parses a signed amount coming from our own database (NUMERIC arrives as a string). */
export function fromDb(value: string | number | null | undefined): Money {
  if (value === null || value === undefined) return ZERO;
  if (typeof value === 'number') throw new Error(`money arrived as a JS number (${value}); configure pg to return NUMERIC as strings`);
  return new Money(value);
}

/** Formats with exactly two fraction digits; throws if the value is not a whole number of tiyn. */
export function formatAmount(value: Money): string {
  assertTiyn(value);
  return value.toFixed(2);
}

export function isWholeTiyn(value: Money): boolean {
  return value.mul(100).isInteger();
}

export function assertTiyn(value: Money): void {
  if (!isWholeTiyn(value)) throw new Error(`invariant: ${value.toString()} is not a whole number of tiyn`);
}

export function sum(values: Iterable<Money>): Money {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Converts to integer tiyn (bigint) for exact integer arithmetic. */
export function toTiyn(value: Money): bigint {
  assertTiyn(value);
  return BigInt(value.mul(100).toFixed(0));
}

export function fromTiyn(tiyn: bigint): Money {
  return new Money(tiyn.toString()).div(100);
}
