// A provider's charge lines for a period (issue 18 item 3; format: docs/provider-api.md). Pure: the
// same checks for a CSV file and a JSON body. A line that cannot be read (not a number, a missing
// reason) makes the whole upload a 400 and nothing is stored; a line that can be read but breaks a
// business rule is stored and refused row by row with a code (CHARGE_REFUSAL_CODES).
//
// Amounts are exact: integer tiyn (bigint) inside. A line with both quantity and tariff must have
// amount = quantity × tariff rounded to the tiyn, half away from zero (the rounding a calculator and
// a provider's billing system use), else it is refused AMOUNT_MISMATCH.
import { createHash } from 'node:crypto';
import { truncateForMessage } from './echo';
import { ACCOUNT_RE, SERVICE_CODE_RE } from './payment-types';
import { PERIOD_RE } from './billing-period';
import { runSteps, STEP_ITEMS, type Steps } from './steps';

/** Lines one upload may hold: a provider's month for a big city in one file (about 60 MiB of CSV). */
export const CHARGE_LINES_MAX = 1_000_000;
/** Errors listed in one 400 answer: enough to fix a file, not a second copy of it. */
export const CHARGE_ERRORS_LISTED_MAX = 50;
/** The largest amount of one line, either sign (tiyn): a line is one account's service for one month. */
export const CHARGE_AMOUNT_MAX_TIYN = 10_000_000_000n; // 100,000,000.00 KZT
export const CHARGE_REASON_CHARS_MAX = 200;
export const CHARGE_UNIT_CHARS_MAX = 16;

/** Row-level codes of a refused line, each with what it means. */
export const CHARGE_REFUSAL_CODES = {
  UNKNOWN_ACCOUNT: 'no personal account has this number',
  SERVICE_NOT_PROVIDERS: 'the service is not one of this provider\'s services (or does not exist)',
  AMOUNT_MISMATCH: 'amount is not quantity × tariff rounded to the tiyn',
  PERIOD_CLOSED: 'the period closed before the line was taken: a late charge goes into the next period\'s upload as a recalculation',
  DUPLICATE_LINE: 'an earlier line of the same upload charges the same account, service and period (for a recalculation: also the same amount and reason)',
} as const;
export type ChargeRefusalCode = keyof typeof CHARGE_REFUSAL_CODES;

/** One line as the client wrote it (CSV fields after the dialect, or a JSON object's strings). */
export interface ChargeLineInput {
  lineNo: number;
  account: unknown;
  service: unknown;
  quantity?: unknown;
  unit?: unknown;
  tariff?: unknown;
  amount: unknown;
  forPeriod?: unknown;
  reason?: unknown;
}

/** A line read and checked: decimals canonical, `kind` decided by forPeriod, `precheck` a refusal already known from the upload alone. */
export interface ChargeLine {
  lineNo: number;
  account: string;
  service: string;
  kind: 'charge' | 'recalculation';
  /** YYYY-MM: the upload's period for a charge, the earlier period a recalculation corrects. */
  forPeriod: string;
  quantity: string | null;
  unit: string | null;
  tariff: string | null;
  amount: string;
  reason: string | null;
  precheck: { code: ChargeRefusalCode; message: string } | null;
}

export interface ChargeLineError {
  line: number;
  message: string;
}

export type ParsedCharges = { ok: true; lines: ChargeLine[] } | { ok: false; errors: ChargeLineError[]; errorCount: number };

/** Thrown for one unreadable value; collected per line. */
export class ChargeFieldError extends Error {}

const QUANTITY_RE = /^(-?)(0|[1-9]\d{0,10})(?:\.(\d{1,3}))?$/;
const TARIFF_RE = /^(0|[1-9]\d{0,9})(?:\.(\d{1,4}))?$/;
const AMOUNT_RE = /^(-?)(0|[1-9]\d{0,15})(?:\.(\d{1,2}))?$/;

/** A signed decimal as integer units of 10^-scale. */
function scaled(sign: string, whole: string, fraction: string | undefined, scale: number): bigint {
  const units = BigInt(whole) * 10n ** BigInt(scale) + BigInt((fraction ?? '').padEnd(scale, '0') || '0');
  return sign === '-' ? -units : units;
}

/** Units of 10^-scale as a decimal string with `scale` fraction digits. */
export function formatScaled(units: bigint, scale: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const base = 10n ** BigInt(scale);
  const whole = abs / base;
  const fraction = scale > 0 ? `.${String(abs % base).padStart(scale, '0')}` : '';
  return `${negative && abs !== 0n ? '-' : ''}${whole}${fraction}`;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ChargeFieldError(`${what} must be a string`);
  return value.trim();
}

function optionalText(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  const t = text(value, what);
  return t === '' ? null : t;
}

function amountTiyn(value: unknown): bigint {
  const t = text(value, 'amount');
  const m = AMOUNT_RE.exec(t);
  if (!m) throw new ChargeFieldError(`amount ${truncateForMessage(t)} is not an amount (an optional minus, digits, "." and up to two fraction digits, e.g. 1250.50)`);
  const tiyn = scaled(m[1] as string, m[2] as string, m[3], 2);
  if (tiyn > CHARGE_AMOUNT_MAX_TIYN || -tiyn > CHARGE_AMOUNT_MAX_TIYN) throw new ChargeFieldError(`amount ${t} is beyond the limit of ${formatScaled(CHARGE_AMOUNT_MAX_TIYN, 2)} either way`);
  return tiyn;
}

function quantityMilli(value: unknown): bigint | null {
  const t = optionalText(value, 'quantity');
  if (t === null) return null;
  const m = QUANTITY_RE.exec(t);
  if (!m) throw new ChargeFieldError(`quantity ${truncateForMessage(t)} is not a quantity (an optional minus, up to 11 digits and 3 fraction digits)`);
  return scaled(m[1] as string, m[2] as string, m[3], 3);
}

function tariffBasis(value: unknown): bigint | null {
  const t = optionalText(value, 'tariff');
  if (t === null) return null;
  const m = TARIFF_RE.exec(t);
  if (!m) throw new ChargeFieldError(`tariff ${truncateForMessage(t)} is not a tariff (up to 10 digits and 4 fraction digits, not negative)`);
  return scaled('', m[1] as string, m[2], 4);
}

/** quantity (10^-3) × tariff (10^-4) in tiyn (10^-2), rounded half away from zero. */
export function expectedAmountTiyn(quantityMilliUnits: bigint, tariffBasisUnits: bigint): bigint {
  const product = quantityMilliUnits * tariffBasisUnits; // units of 10^-7
  const divisor = 100_000n;
  const abs = product < 0n ? -product : product;
  const rounded = (abs + divisor / 2n) / divisor;
  return product < 0n ? -rounded : rounded;
}

function forPeriodOf(value: unknown, period: string): string {
  const t = optionalText(value, 'for_period');
  if (t === null) return period;
  if (!PERIOD_RE.test(t)) throw new ChargeFieldError(`for_period ${truncateForMessage(t)} is not a month (YYYY-MM)`);
  if (t > period) throw new ChargeFieldError(`for_period ${t} is after the upload's period ${period}: a recalculation corrects an earlier period`);
  return t;
}

/** Reads one line; throws ChargeFieldError for an unreadable one. */
export function readChargeLine(input: ChargeLineInput, period: string): ChargeLine {
  const account = text(input.account, 'account');
  if (!ACCOUNT_RE.test(account)) throw new ChargeFieldError(`account ${truncateForMessage(account)} is not a personal account number (6-16 digits)`);
  const service = text(input.service, 'service');
  if (!SERVICE_CODE_RE.test(service)) throw new ChargeFieldError(`service ${truncateForMessage(service)} is not a service code (A-Z, 0-9, _)`);
  const tiyn = amountTiyn(input.amount);
  const quantity = quantityMilli(input.quantity);
  const tariff = tariffBasis(input.tariff);
  const unit = optionalText(input.unit, 'unit');
  if (unit !== null && unit.length > CHARGE_UNIT_CHARS_MAX) throw new ChargeFieldError(`unit is longer than ${CHARGE_UNIT_CHARS_MAX} characters`);
  const reason = optionalText(input.reason, 'reason');
  if (reason !== null && reason.length > CHARGE_REASON_CHARS_MAX) throw new ChargeFieldError(`reason is longer than ${CHARGE_REASON_CHARS_MAX} characters`);
  const forPeriod = forPeriodOf(input.forPeriod, period);
  const kind = forPeriod === period ? 'charge' : 'recalculation';
  if (kind === 'charge' && tiyn < 0n) throw new ChargeFieldError(`a charge is not negative: a negative amount is a recalculation of an earlier period, with for_period and reason`);
  if (kind === 'recalculation' && reason === null) throw new ChargeFieldError(`a recalculation of ${forPeriod} needs a reason`);
  let precheck: ChargeLine['precheck'] = null;
  if (quantity !== null && tariff !== null) {
    const expected = expectedAmountTiyn(quantity, tariff);
    if (expected !== tiyn) {
      precheck = { code: 'AMOUNT_MISMATCH', message: `amount ${formatScaled(tiyn, 2)} is not quantity ${formatScaled(quantity, 3)} × tariff ${formatScaled(tariff, 4)} = ${formatScaled(expected, 2)}` };
    }
  }
  return {
    lineNo: input.lineNo, account, service, kind, forPeriod, unit, reason, precheck,
    quantity: quantity === null ? null : formatScaled(quantity, 3),
    tariff: tariff === null ? null : formatScaled(tariff, 4),
    amount: formatScaled(tiyn, 2),
  };
}

function duplicateKey(line: ChargeLine): string {
  const base = `${line.account}|${line.service}|${line.forPeriod}`;
  return line.kind === 'charge' ? `c|${base}` : `r|${base}|${line.amount}|${line.reason ?? ''}`;
}

/** Reads every line; any unreadable line makes the whole upload refused. Later duplicates of a line are refused DUPLICATE_LINE. */
export function readChargeLines(inputs: readonly ChargeLineInput[], period: string): ParsedCharges {
  return runSteps(readChargeLinesSteps(inputs, period));
}

/** readChargeLines, yielding every STEP_ITEMS lines (domain/steps.ts). */
export function* readChargeLinesSteps(inputs: readonly ChargeLineInput[], period: string): Steps<ParsedCharges> {
  const errors: ChargeLineError[] = [];
  let errorCount = 0;
  if (inputs.length === 0) return { ok: false, errors: [{ line: 1, message: 'the upload has no lines' }], errorCount: 1 };
  if (inputs.length > CHARGE_LINES_MAX) return { ok: false, errors: [{ line: 1, message: `${inputs.length} lines: an upload holds at most ${CHARGE_LINES_MAX}` }], errorCount: 1 };
  const lines: ChargeLine[] = [];
  const firstLineOf = new Map<string, number>();
  for (const [i, input] of inputs.entries()) {
    if (i % STEP_ITEMS === STEP_ITEMS - 1) yield;
    try {
      const line = readChargeLine(input, period);
      if (line.precheck === null) {
        const key = duplicateKey(line);
        const earlier = firstLineOf.get(key);
        if (earlier === undefined) firstLineOf.set(key, line.lineNo);
        else line.precheck = { code: 'DUPLICATE_LINE', message: `line ${earlier} already charges account ${line.account} for ${line.service} in ${line.forPeriod}` };
      }
      lines.push(line);
    } catch (err) {
      if (!(err instanceof ChargeFieldError)) throw err;
      errorCount++;
      if (errors.length < CHARGE_ERRORS_LISTED_MAX) errors.push({ line: input.lineNo, message: err.message });
    }
  }
  if (errorCount > 0) return { ok: false, errors, errorCount };
  return { ok: true, lines };
}

/** The SHA-256 of an upload's content: provider, period and lines as read (canonical decimals), not the bytes, so the same charges in CSV with decimal commas or in JSON are one upload. */
export function chargesContentSha256(providerId: string, period: string, lines: readonly ChargeLine[]): string {
  return runSteps(chargesContentSha256Steps(providerId, period, lines));
}

/** chargesContentSha256, yielding every STEP_ITEMS lines (domain/steps.ts). */
export function* chargesContentSha256Steps(providerId: string, period: string, lines: readonly ChargeLine[]): Steps<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(['charges-v1', providerId, period]));
  for (const [i, l] of lines.entries()) {
    if (i % STEP_ITEMS === STEP_ITEMS - 1) yield;
    hash.update(`\n${JSON.stringify([l.account, l.service, l.forPeriod, l.quantity, l.unit, l.tariff, l.amount, l.reason])}`);
  }
  return hash.digest('hex');
}

/** Hex characters of the content hash in the upload id (charge_uploads.upload_id). */
export const CHARGE_UPLOAD_HASH_CHARS = 16;

/** The upload's business id: charges:<PROVIDER>:<YYYY-MM>:<16 hex of the content hash>. Also its workflow id. */
export function chargeUploadIdFor(providerId: string, period: string, contentSha256: string): string {
  return `charges:${providerId}:${period}:${contentSha256.slice(0, CHARGE_UPLOAD_HASH_CHARS)}`;
}

export const CHARGE_UPLOAD_ID_RE = /^charges:([A-Z][A-Z0-9_]{0,31}):([0-9]{4}-[0-9]{2}):([0-9a-f]{16})$/;
