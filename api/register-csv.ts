// The day's register a bank uploads (format: docs/registers.md). Parsing is pure and all-or-nothing:
// a file with any malformed line is refused as a whole, naming the lines, and nothing is posted.
// Business checks (unknown account, amounts that do not match the invoice, readings below the
// previous one) are not format errors: those rows are posted and rejected one by one.
import { AMOUNT_MAX, toTiyn } from '../domain/money';
import { almatyToUtc } from '../domain/calendar';
import { isRealDate, parseIsoInstant } from '../domain/instant';
import { ACCOUNT_RE, BANK_REF_RE, PAYMENT_LINES_MAX, PAYMENT_READINGS_MAX, SERVICE_CODE_RE } from '../domain/payment-types';

export const REGISTER_ROWS_MAX = 100_000;
/** Errors listed in one answer: enough to fix a file, not a second copy of it. */
export const REGISTER_ERRORS_LISTED_MAX = 50;
export const REGISTER_SEPARATOR = ';';
export const REGISTER_MAGIC = '#register';
export const REGISTER_COLUMNS_REQUIRED = ['bank_ref', 'account', 'amount'] as const;
export const REGISTER_COLUMNS_OPTIONAL = ['lines', 'readings', 'paid_at', 'pile_no'] as const;
const KNOWN_COLUMNS = new Set<string>([...REGISTER_COLUMNS_REQUIRED, ...REGISTER_COLUMNS_OPTIONAL]);

const COUNT_RE = /^(0|[1-9]\d{0,8})$/;
const READING_RE = /^\d{1,11}(\.\d{1,3})?$/;
const PILE_RE = /^[A-Za-z0-9._\-/]{1,32}$/;

export interface RegisterHeader {
  businessDate: string;
  declaredCount: number;
  declaredTotal: string;
}

export interface RegisterRow {
  lineNo: number;
  bankRef: string;
  account: string;
  amount: string;
  lines?: Array<{ service: string; amount: string }>;
  readings?: Array<{ service: string; value: string }>;
  paidAt?: string;
  pileNo?: string;
}

export interface LineError {
  line: number;
  message: string;
}

export type ParsedRegister = { ok: true; header: RegisterHeader; rows: RegisterRow[] } | { ok: false; errors: LineError[]; errorCount: number };

/** Thrown inside the parser for one bad value; collected per line. */
class FieldError extends Error {}

// Amounts are checked and summed as integer tiyn (bigint): exact like decimal.js, and a 100,000-row
// file is parsed in a fraction of the time. Same grammar and limit as parseAmount (domain/money.ts).
const AMOUNT_TEXT_RE = /^(0|[1-9]\d{0,15})(?:\.(\d{1,2}))?$/;
const AMOUNT_MAX_TIYN = toTiyn(AMOUNT_MAX);

function formatTiyn(tiyn: bigint): string {
  return `${tiyn / 100n}.${String(tiyn % 100n).padStart(2, '0')}`;
}

function amountTiyn(value: string, what: string, positive: boolean): bigint {
  const m = AMOUNT_TEXT_RE.exec(value);
  if (!m) throw new FieldError(`${what}: ${JSON.stringify(value)} is not an amount (digits, "." and up to two fraction digits, e.g. 1250.50)`);
  const tiyn = BigInt(m[1] as string) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
  if (tiyn > AMOUNT_MAX_TIYN) throw new FieldError(`${what}: ${value} is above the limit of ${formatTiyn(AMOUNT_MAX_TIYN)}`);
  if (positive && tiyn <= 0n) throw new FieldError(`${what} must be greater than zero`);
  return tiyn;
}

function amountField(value: string, what: string, positive: boolean): string {
  return formatTiyn(amountTiyn(value, what, positive));
}

/** "ELEC:100.00|CWATER:50.00" → pairs; `check` validates the value part. */
function pairs(text: string, column: string, max: number, check: (value: string, service: string) => string): Array<{ service: string; value: string }> {
  const items = text.split('|');
  if (items.length > max) throw new FieldError(`${column}: at most ${max} services`);
  const seen = new Set<string>();
  return items.map((item) => {
    const colon = item.indexOf(':');
    const service = colon < 0 ? item : item.slice(0, colon);
    if (colon < 0 || !SERVICE_CODE_RE.test(service)) throw new FieldError(`${column}: ${JSON.stringify(item)} is not SERVICE:VALUE (e.g. ELEC:100.00)`);
    if (seen.has(service)) throw new FieldError(`${column}: service ${service} appears twice`);
    seen.add(service);
    return { service, value: check(item.slice(colon + 1), service) };
  });
}

function parseHeader(line: string): RegisterHeader {
  const fields = line.split(REGISTER_SEPARATOR);
  if (fields[0] !== REGISTER_MAGIC) throw new FieldError(`the first line must start with "${REGISTER_MAGIC};" (e.g. #register;business_date=2026-11-27;count=3;total=4500.00)`);
  const values = new Map<string, string>();
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    if (eq < 0 || !['business_date', 'count', 'total'].includes(key)) throw new FieldError(`unknown header field ${JSON.stringify(field)}: expected business_date=, count= and total=`);
    if (values.has(key)) throw new FieldError(`header field ${key} appears twice`);
    values.set(key, field.slice(eq + 1));
  }
  const businessDate = values.get('business_date');
  const count = values.get('count');
  const total = values.get('total');
  if (businessDate === undefined || count === undefined || total === undefined) throw new FieldError('the header must declare business_date, count and total');
  if (!isRealDate(businessDate)) throw new FieldError(`business_date ${JSON.stringify(businessDate)} is not a date (YYYY-MM-DD)`);
  if (!COUNT_RE.test(count)) throw new FieldError(`count ${JSON.stringify(count)} is not a whole number`);
  return { businessDate, declaredCount: Number(count), declaredTotal: amountField(total, 'total', false) };
}

function parseColumns(line: string): string[] {
  const columns = line.split(REGISTER_SEPARATOR).map((c) => c.trim().toLowerCase());
  const unknown = columns.filter((c) => !KNOWN_COLUMNS.has(c));
  if (unknown.length > 0) throw new FieldError(`unknown column(s) ${unknown.join(', ')}: columns are ${[...KNOWN_COLUMNS].join(', ')}`);
  const missing = REGISTER_COLUMNS_REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new FieldError(`missing column(s) ${missing.join(', ')}`);
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw new FieldError(`column ${dup} appears twice`);
  return columns;
}

function parseRow(line: string, lineNo: number, columns: ReadonlyMap<string, number>): RegisterRow {
  const fields = line.split(REGISTER_SEPARATOR);
  if (fields.length !== columns.size) throw new FieldError(`${fields.length} fields, the header row has ${columns.size}`);
  const get = (name: string): string => {
    const index = columns.get(name);
    return index === undefined ? '' : (fields[index] ?? '').trim();
  };
  const bankRef = get('bank_ref');
  if (!BANK_REF_RE.test(bankRef)) throw new FieldError(`bank_ref ${JSON.stringify(bankRef)} must be 1-64 of A-Z a-z 0-9 . _ - /`);
  const account = get('account');
  if (!ACCOUNT_RE.test(account)) throw new FieldError(`account ${JSON.stringify(account)} is not a personal account number (6-16 digits)`);
  const row: RegisterRow = { lineNo, bankRef, account, amount: amountField(get('amount'), 'amount', true) };
  const lines = get('lines');
  if (lines) {
    row.lines = pairs(lines, 'lines', PAYMENT_LINES_MAX, (v, s) => amountField(v, `lines (${s})`, false)).map((p) => ({ service: p.service, amount: p.value }));
  }
  const readings = get('readings');
  if (readings) {
    row.readings = pairs(readings, 'readings', PAYMENT_READINGS_MAX, (v, s) => {
      if (!READING_RE.test(v)) throw new FieldError(`readings (${s}): ${JSON.stringify(v)} is not a reading (digits, up to 3 fraction digits)`);
      return v;
    });
  }
  const paidAt = get('paid_at');
  if (paidAt) {
    if (parseIsoInstant(paidAt) === null) {
      throw new FieldError(`paid_at ${JSON.stringify(paidAt)} must be an ISO-8601 instant with a zone, e.g. 2026-11-27T10:15:00+05:00`);
    }
    row.paidAt = paidAt;
  }
  const pileNo = get('pile_no');
  if (pileNo) {
    if (!PILE_RE.test(pileNo)) throw new FieldError(`pile_no ${JSON.stringify(pileNo)} must be 1-32 of A-Z a-z 0-9 . _ - /`);
    row.pileNo = pileNo;
  }
  return row;
}

/** Parses a register; on any error returns the first REGISTER_ERRORS_LISTED_MAX of them with line numbers (1-based). */
export function parseRegisterCsv(text: string): ParsedRegister {
  const errors: LineError[] = [];
  let errorCount = 0;
  const fail = (line: number, message: string) => {
    errorCount++;
    if (errors.length < REGISTER_ERRORS_LISTED_MAX) errors.push({ line, message });
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // Trailing empty lines are what editors leave; an empty line inside the file is an error.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) return { ok: false, errors: [{ line: 1, message: 'a register needs the #register header line and the column header row' }], errorCount: 1 };
  if (lines.length - 2 > REGISTER_ROWS_MAX) {
    return { ok: false, errors: [{ line: 1, message: `${lines.length - 2} rows: a register holds at most ${REGISTER_ROWS_MAX}; split the day into several files` }], errorCount: 1 };
  }

  let header: RegisterHeader | undefined;
  try {
    header = parseHeader(lines[0] as string);
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    fail(1, err.message);
  }
  let columns: Map<string, number> | undefined;
  try {
    columns = new Map(parseColumns(lines[1] as string).map((name, index) => [name, index]));
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    fail(2, err.message);
  }
  if (!columns) return { ok: false, errors, errorCount };

  const rows: RegisterRow[] = [];
  const firstLineOfRef = new Map<string, number>();
  for (let i = 2; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i] as string;
    if (line.trim() === '') {
      fail(lineNo, 'empty line inside the register');
      continue;
    }
    try {
      const row = parseRow(line, lineNo, columns);
      const earlier = firstLineOfRef.get(row.bankRef);
      if (earlier !== undefined) throw new FieldError(`bank_ref ${row.bankRef} is already used on line ${earlier}: every payment needs its own reference`);
      firstLineOfRef.set(row.bankRef, lineNo);
      rows.push(row);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      fail(lineNo, err.message);
    }
  }

  if (header && errorCount === 0) {
    if (header.declaredCount !== rows.length) fail(1, `the header declares count=${header.declaredCount} but the file has ${rows.length} payment rows`);
    const totalTiyn = rows.reduce((t, r) => t + amountTiyn(r.amount, 'amount', true), 0n);
    if (totalTiyn !== amountTiyn(header.declaredTotal, 'total', false)) {
      fail(1, `the header declares total=${header.declaredTotal} but the rows sum to ${formatTiyn(totalTiyn)}`);
    }
  }
  if (errorCount > 0 || !header) return { ok: false, errors, errorCount };
  return { ok: true, header, rows };
}

/**
 * When a row has no paid_at: the start of the declared business date in Almaty, so the payment
 * lands on that date (or the next business day, when that one is closed or a holiday). Fixed
 * from the file alone, so a re-upload hashes to the same requests.
 */
export function defaultPaidAt(businessDate: string): string {
  return almatyToUtc(businessDate, '00:00').toISOString();
}
