// The day's register a bank uploads (format: docs/registers.md). Parsing is pure and all-or-nothing:
// a file with any malformed line is refused as a whole, naming the lines, and nothing is posted.
// Business checks (unknown account, amounts that do not match the invoice, readings below the
// previous one) are not format errors: those rows are posted and rejected one by one.
//
// What a spreadsheet in a Russian locale writes is accepted as the same register: a BOM, CRLF,
// fields in double quotes, decimal commas (1500,50), digit groups split by spaces (1 500,50), and
// lines padded with empty fields (the #register line gets ";;;" up to the width of the table).
// Only the ambiguous is refused: two decimal separators (1.500,00), an unclosed quote, a quote in
// the middle of a field, a non-empty field beyond the header's columns.
import { createHash } from 'node:crypto';
import { CsvFieldError, splitCsvLine } from './csv-dialect';
import { AMOUNT_MAX, toTiyn } from '../domain/money';
import { almatyToUtc } from '../domain/calendar';
import { ECHOED_VALUE_CHARS_MAX, truncateForMessage } from '../domain/echo';
import { canonicalInstant, isRealDate, parseIsoInstant } from '../domain/instant';
import { formatTiyn } from './tiyn';
import {
  ACCOUNT_RE, BANK_REF_RE, isReservedBankRef, PAYMENT_LINES_MAX, PAYMENT_READINGS_MAX, REJECTION_CODES, SERVICE_CODE_RE,
} from '../domain/payment-types';

export const REGISTER_ROWS_MAX = 100_000;
/** Errors listed in one answer: enough to fix a file, not a second copy of it. */
export const REGISTER_ERRORS_LISTED_MAX = 50;
export const REGISTER_SEPARATOR = ';' as const;
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
  /** Set where a stable code names the problem (BANK_REF_RESERVED). */
  code?: string;
}

export type ParsedRegister = { ok: true; header: RegisterHeader; rows: RegisterRow[] } | { ok: false; errors: LineError[]; errorCount: number };

/** Thrown inside the parser for one bad value; collected per line (the dialect's own error, so the splitter's count too). */
const FieldError = CsvFieldError;

// Amounts are checked and summed as integer tiyn (bigint): exact like decimal.js, and a 100,000-row
// file is parsed in a fraction of the time. Same grammar and limit as parseAmount (domain/money.ts)
// once the spreadsheet's decimal comma and digit groups are read (spreadsheetDecimal).
const AMOUNT_TEXT_RE = /^(0|[1-9]\d{0,15})(?:\.(\d{1,2}))?$/;
const AMOUNT_MAX_TIYN = toTiyn(AMOUNT_MAX);
/**
 * The limit on a register's declared total. AMOUNT_MAX is per payment, not per file: a large
 * bank's day is many payments, each up to the limit.
 */
export const REGISTER_TOTAL_MAX_TIYN = AMOUNT_MAX_TIYN * BigInt(REGISTER_ROWS_MAX);
/** Digits grouped by thousands with a space, a no-break space or a narrow no-break space: 1 500 000,00. */
const GROUPED_DIGITS_RE = /^\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?=$|[.,])/;

/**
 * A decimal as a spreadsheet writes it, in the grammar of the rest of the file (a point, no
 * groups): "1 500,50" → "1500.50". Ambiguous forms are left as they are, and refused by the caller.
 */
export function spreadsheetDecimal(text: string): string {
  let value = text;
  const grouped = GROUPED_DIGITS_RE.exec(value);
  if (grouped) value = grouped[0].replace(/[ \u00a0\u202f]/g, '') + value.slice(grouped[0].length);
  // One comma and no point is a decimal comma; a comma beside a point is ambiguous (1.500,00), kept.
  if (!value.includes('.') && (value.match(/,/g) ?? []).length === 1) value = value.replace(',', '.');
  return value;
}

function amountTiyn(text: string, what: string, positive: boolean, maxTiyn = AMOUNT_MAX_TIYN): bigint {
  const value = spreadsheetDecimal(text);
  const m = AMOUNT_TEXT_RE.exec(value);
  if (!m) throw new FieldError(`${what}: ${truncateForMessage(text)} is not an amount (digits, "." or "," and up to two fraction digits, e.g. 1250.50)`);
  const tiyn = BigInt(m[1] as string) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
  if (tiyn > maxTiyn) throw new FieldError(`${what}: ${value} is above the limit of ${formatTiyn(maxTiyn)}`);
  if (positive && tiyn <= 0n) throw new FieldError(`${what} must be greater than zero`);
  return tiyn;
}

function amountField(value: string, what: string, positive: boolean, maxTiyn = AMOUNT_MAX_TIYN): string {
  return formatTiyn(amountTiyn(value, what, positive, maxTiyn));
}

/** The fields of one register line: the shared dialect (domain/csv-dialect.ts), always `;`. */
export function splitRegisterLine(line: string): string[] {
  return splitCsvLine(line, REGISTER_SEPARATOR);
}

/** A line of separators and blanks only: a spreadsheet's empty row. */
function isBlankLine(line: string): boolean {
  return /^[;\s]*$/.test(line.replace(/""/g, ''));
}

/** "ELEC:100.00|CWATER:50.00" → pairs; `check` validates the value part. */
function pairs(text: string, column: string, max: number, check: (value: string, service: string) => string): Array<{ service: string; value: string }> {
  const items = text.split('|');
  if (items.length > max) throw new FieldError(`${column}: at most ${max} services`);
  const seen = new Set<string>();
  return items.map((item) => {
    const colon = item.indexOf(':');
    const service = colon < 0 ? item : item.slice(0, colon);
    if (colon < 0 || !SERVICE_CODE_RE.test(service)) throw new FieldError(`${column}: ${truncateForMessage(item)} is not SERVICE:VALUE (e.g. ELEC:100.00)`);
    if (seen.has(service)) throw new FieldError(`${column}: service ${service} appears twice`);
    seen.add(service);
    return { service, value: check(item.slice(colon + 1), service) };
  });
}

function parseHeader(line: string): RegisterHeader {
  let fields = splitRegisterLine(line).map((f) => f.trim());
  // The whole #register line typed into one cell comes back quoted, as one field: read it as the line.
  if (fields.length === 1 && (fields[0] as string).startsWith(`${REGISTER_MAGIC}${REGISTER_SEPARATOR}`)) fields = (fields[0] as string).split(REGISTER_SEPARATOR).map((f) => f.trim());
  if (fields[0] !== REGISTER_MAGIC) throw new FieldError(`the first line must start with "${REGISTER_MAGIC};" (e.g. #register;business_date=2026-11-27;count=3;total=4500.00)`);
  const values = new Map<string, string>();
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    const key = eq < 0 ? field : field.slice(0, eq);
    if (eq < 0 || !['business_date', 'count', 'total'].includes(key)) throw new FieldError(`unknown header field ${truncateForMessage(field)}: expected business_date=, count= and total=`);
    if (values.has(key)) throw new FieldError(`header field ${key} appears twice`);
    values.set(key, field.slice(eq + 1));
  }
  const businessDate = values.get('business_date');
  const count = values.get('count');
  const total = values.get('total');
  if (businessDate === undefined || count === undefined || total === undefined) throw new FieldError('the header must declare business_date, count and total');
  if (!isRealDate(businessDate)) throw new FieldError(`business_date ${truncateForMessage(businessDate)} is not a date (YYYY-MM-DD)`);
  if (!COUNT_RE.test(count)) throw new FieldError(`count ${truncateForMessage(count)} is not a whole number`);
  return { businessDate, declaredCount: Number(count), declaredTotal: amountField(total, 'total', false, REGISTER_TOTAL_MAX_TIYN) };
}

function parseColumns(line: string): string[] {
  const columns = splitRegisterLine(line).map((c) => c.trim().toLowerCase());
  const unknown = columns.filter((c) => !KNOWN_COLUMNS.has(c));
  if (unknown.length > 0) throw new FieldError(`unknown column(s) ${unknown.map((c) => (c.length > ECHOED_VALUE_CHARS_MAX ? `${c.slice(0, ECHOED_VALUE_CHARS_MAX)}…` : c)).join(', ')}: columns are ${[...KNOWN_COLUMNS].join(', ')}`);
  const missing = REGISTER_COLUMNS_REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new FieldError(`missing column(s) ${missing.join(', ')}`);
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw new FieldError(`column ${dup} appears twice`);
  return columns;
}

function parseRow(line: string, lineNo: number, columns: ReadonlyMap<string, number>): RegisterRow {
  const fields = splitRegisterLine(line);
  // Fewer fields: the trailing optional ones were empty (a spreadsheet drops them with the padding).
  if (fields.length > columns.size) throw new FieldError(`${fields.length} fields, the header row has ${columns.size}`);
  const get = (name: string): string => {
    const index = columns.get(name);
    return index === undefined ? '' : (fields[index] ?? '').trim();
  };
  const bankRef = get('bank_ref');
  if (!BANK_REF_RE.test(bankRef)) throw new FieldError(`bank_ref ${truncateForMessage(bankRef)} must be 1-64 of A-Z a-z 0-9 . _ - /`);
  if (isReservedBankRef(bankRef)) throw new FieldError(`bank_ref ${bankRef} (BANK_REF_RESERVED): ${REJECTION_CODES.BANK_REF_RESERVED}`, 'BANK_REF_RESERVED');
  const account = get('account');
  if (!ACCOUNT_RE.test(account)) throw new FieldError(`account ${truncateForMessage(account)} is not a personal account number (6-16 digits)`);
  const row: RegisterRow = { lineNo, bankRef, account, amount: amountField(get('amount'), 'amount', true) };
  const lines = get('lines');
  if (lines) {
    row.lines = pairs(lines, 'lines', PAYMENT_LINES_MAX, (v, s) => amountField(v, `lines (${s})`, false)).map((p) => ({ service: p.service, amount: p.value }));
  }
  const readings = get('readings');
  if (readings) {
    row.readings = pairs(readings, 'readings', PAYMENT_READINGS_MAX, (text, s) => {
      const v = spreadsheetDecimal(text);
      if (!READING_RE.test(v)) throw new FieldError(`readings (${s}): ${truncateForMessage(text)} is not a reading (digits, "." or "," and up to 3 fraction digits)`);
      return v;
    });
  }
  const paidAt = get('paid_at');
  if (paidAt) {
    if (parseIsoInstant(paidAt) === null) {
      throw new FieldError(`paid_at ${truncateForMessage(paidAt)} must be an ISO-8601 instant with a zone, e.g. 2026-11-27T10:15:00+05:00`);
    }
    row.paidAt = paidAt;
  }
  const pileNo = get('pile_no');
  if (pileNo) {
    if (!PILE_RE.test(pileNo)) throw new FieldError(`pile_no ${truncateForMessage(pileNo)} must be 1-32 of A-Z a-z 0-9 . _ - /`);
    row.pileNo = pileNo;
  }
  return row;
}

/** Parses a register; on any error returns the first REGISTER_ERRORS_LISTED_MAX of them with line numbers (1-based). */
export function parseRegisterCsv(text: string): ParsedRegister {
  const errors: LineError[] = [];
  let errorCount = 0;
  const fail = (line: number, message: string, code?: string) => {
    errorCount++;
    if (errors.length < REGISTER_ERRORS_LISTED_MAX) errors.push(code === undefined ? { line, message } : { line, message, code });
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // Trailing empty lines (or a spreadsheet's rows of separators) are what editors leave; an empty
  // line inside the file is an error.
  while (lines.length > 0 && isBlankLine(lines[lines.length - 1] as string)) lines.pop();
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
    if (isBlankLine(line)) {
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
      fail(lineNo, err.message, err.code);
    }
  }

  if (header && errorCount === 0) {
    if (header.declaredCount !== rows.length) fail(1, `the header declares count=${header.declaredCount} but the file has ${rows.length} payment rows`);
    const totalTiyn = rows.reduce((t, r) => t + amountTiyn(r.amount, 'amount', true), 0n);
    if (totalTiyn !== amountTiyn(header.declaredTotal, 'total', false, REGISTER_TOTAL_MAX_TIYN)) {
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

/**
 * The SHA-256 of a register's content: its header and rows as parsed (amounts, readings and
 * instants in canonical form), not its bytes. The same register saved with a BOM, CRLF, quotes or
 * decimal commas is the same register, and its declaration counts once.
 */
export function registerContentSha256(header: RegisterHeader, rows: readonly RegisterRow[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(['register-v1', header.businessDate, header.declaredCount, header.declaredTotal]));
  for (const r of rows) {
    const readings = r.readings?.map((x) => ({ service: x.service, value: canonicalDecimal(x.value) }));
    hash.update(`\n${JSON.stringify([r.bankRef, r.account, r.amount, r.lines ?? null, readings ?? null, r.paidAt === undefined ? null : canonicalInstant(r.paidAt), r.pileNo ?? null])}`);
  }
  return hash.digest('hex');
}

/** "012.500" → "12.5": one text per value. */
function canonicalDecimal(value: string): string {
  const [whole = '0', frac = ''] = value.split('.');
  const fraction = frac.replace(/0+$/, '');
  const integer = whole.replace(/^0+(?=\d)/, '');
  return fraction ? `${integer}.${fraction}` : integer;
}
