// The payment list as CSV, for people and spreadsheets at the bank and for auditors: RFC 4180,
// UTF-8 without a byte-order mark, CRLF after every record, one header row, one row per line in
// lineNo order and a final TOTAL row. Unlike the XML, names are written in full, exactly as given.
// Columns and choices are documented in docs/payment-lists.md.
// Pure and deterministic: no clock, no I/O, no Node built-ins.
import { Money, formatAmount, sum } from './money';
import { type PaymentListInput, type PaymentListLine, LIST_AMOUNT_RE, assertValidPaymentList, listTotal, sortedLines } from './payment-list';

export const SETTLEMENT_CSV_COLUMNS = [
  'line_no',
  'end_to_end_id',
  'provider_id',
  'provider_name',
  'provider_bin',
  'provider_iban',
  'provider_bic',
  'knp',
  'kbe',
  'amount',
  'payment_count',
  'business_date',
  'execution_date',
] as const;

/** Value of line_no on the trailing total row. */
export const TOTAL_ROW_MARKER = 'TOTAL';

const RECORD_END = '\r\n';

/** Largest CSV text the parser accepts (in UTF-16 units): 10 000 lines of long names fit easily. */
export const SETTLEMENT_CSV_CHARS_MAX = 16 * 1024 * 1024;

/**
 * A spreadsheet runs a cell that starts with one of these as a formula (CWE-1236): `=HYPERLINK(...)`
 * in a provider's name would run on the bank's desk. Such a field is written with a leading `'`
 * (what Excel and LibreOffice show as "text"); a field that itself starts with `'` gets one more, so
 * the reader strips exactly one and the file still round-trips exactly.
 */
const FORMULA_START_RE = /^[=+\-@\t\r']/;
const TEXT_MARK = "'";

/** The field as written: formula starts neutralised (see FORMULA_START_RE). */
export function guardCsvCell(value: string): string {
  return FORMULA_START_RE.test(value) ? TEXT_MARK + value : value;
}

/** The inverse of guardCsvCell. */
function unguardCsvCell(value: string): string {
  return value.startsWith(TEXT_MARK) ? value.slice(TEXT_MARK.length) : value;
}

/** RFC 4180: a field is quoted when it holds a comma, a double quote, CR or LF; quotes are doubled. */
function csvField(raw: string): string {
  const value = guardCsvCell(raw);
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvRecord(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + RECORD_END;
}

/** Builds the CSV text of a payment list; throws PaymentListInvariantError on a broken list. */
export function buildSettlementCsv(input: PaymentListInput): string {
  assertValidPaymentList(input);
  const lines = sortedLines(input);
  const records = [csvRecord(SETTLEMENT_CSV_COLUMNS)];
  for (const l of lines) {
    records.push(
      csvRecord([
        String(l.lineNo),
        l.endToEndId,
        l.providerId,
        l.providerName,
        l.providerBin,
        l.iban,
        l.bic,
        l.knp,
        l.kbe,
        formatAmount(new Money(l.amount)),
        String(l.paymentCount),
        input.businessDate,
        input.executionDate,
      ]),
    );
  }
  const paymentCount = lines.reduce((acc, l) => acc + l.paymentCount, 0);
  records.push(csvRecord([TOTAL_ROW_MARKER, '', '', '', '', '', '', '', '', formatAmount(listTotal(input)), String(paymentCount), input.businessDate, input.executionDate]));
  return records.join('');
}

export interface ParsedSettlementCsv {
  businessDate: string;
  executionDate: string;
  lines: PaymentListLine[];
  total: { amount: string; paymentCount: number; lineCount: number };
}

/** Thrown when a settlement CSV cannot be read back or its TOTAL row disagrees with its lines. */
export class SettlementCsvFormatError extends Error {
  override name = 'SettlementCsvFormatError';
  constructor(
    readonly recordNo: number,
    reason: string,
  ) {
    super(`settlement CSV, record ${recordNo}: ${reason}`);
  }
}

/**
 * Splits RFC 4180 text into records of fields. Accepts CRLF and, for files whose line ends an
 * editor has converted, bare LF; inside quotes every character is kept as it is.
 */
function parseRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let i = 0;
  const endField = () => {
    record.push(unguardCsvCell(field));
    field = '';
    afterQuote = false;
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        afterQuote = true;
      } else {
        field += ch;
      }
      i += 1;
      continue;
    }
    if (ch === ',') endField();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endRecord();
      i += 1;
    } else if (ch === '\n') endRecord();
    else if (ch === '"' && field.length === 0 && !afterQuote) quoted = true;
    else if (afterQuote) throw new SettlementCsvFormatError(records.length + 1, `unexpected ${JSON.stringify(ch)} after a closing quote`);
    else if (ch === '"' || ch === '\r') throw new SettlementCsvFormatError(records.length + 1, `bare ${JSON.stringify(ch)} in an unquoted field: quote the field`);
    else field += ch;
    i += 1;
  }
  if (quoted) throw new SettlementCsvFormatError(records.length + 1, 'unterminated quoted field');
  if (field.length > 0 || record.length > 0 || afterQuote) endRecord();
  return records;
}

const INTEGER_RE = /^(0|[1-9]\d{0,8})$/;

/** Reads a settlement CSV back: its lines (as in the input), dates and total; checks the TOTAL row against the lines. */
export function parseSettlementCsv(text: string): ParsedSettlementCsv {
  if (text.length > SETTLEMENT_CSV_CHARS_MAX) throw new SettlementCsvFormatError(0, `text of ${text.length} characters exceeds SETTLEMENT_CSV_CHARS_MAX (${SETTLEMENT_CSV_CHARS_MAX})`);
  if (text.startsWith('\uFEFF')) throw new SettlementCsvFormatError(1, 'starts with a byte-order mark; settlement CSVs are UTF-8 without BOM');
  const records = parseRecords(text);
  const header = records[0];
  if (!header || header.join(',') !== SETTLEMENT_CSV_COLUMNS.join(',')) {
    throw new SettlementCsvFormatError(1, `header must be exactly ${SETTLEMENT_CSV_COLUMNS.join(',')}`);
  }
  const totalRecord = records[records.length - 1];
  if (records.length < 3 || !totalRecord || totalRecord[0] !== TOTAL_ROW_MARKER) {
    throw new SettlementCsvFormatError(records.length, `the last record must be the ${TOTAL_ROW_MARKER} row, after at least one line`);
  }

  const field = (rec: string[], recordNo: number, column: (typeof SETTLEMENT_CSV_COLUMNS)[number]): string => {
    const value = rec[SETTLEMENT_CSV_COLUMNS.indexOf(column)];
    if (value === undefined) throw new SettlementCsvFormatError(recordNo, `missing column ${column}`);
    return value;
  };
  const integer = (rec: string[], recordNo: number, column: (typeof SETTLEMENT_CSV_COLUMNS)[number]): number => {
    const value = field(rec, recordNo, column);
    if (!INTEGER_RE.test(value)) throw new SettlementCsvFormatError(recordNo, `${column} ${JSON.stringify(value)} is not a non-negative integer`);
    return Number(value);
  };
  const amountOf = (rec: string[], recordNo: number): string => {
    const value = field(rec, recordNo, 'amount');
    if (!LIST_AMOUNT_RE.test(value)) throw new SettlementCsvFormatError(recordNo, `amount ${JSON.stringify(value)} must have exactly two fraction digits`);
    return value;
  };

  const businessDate = field(totalRecord, records.length, 'business_date');
  const executionDate = field(totalRecord, records.length, 'execution_date');
  const lines: PaymentListLine[] = [];
  for (let r = 1; r < records.length - 1; r++) {
    const rec = records[r] as string[];
    const recordNo = r + 1;
    if (rec.length !== SETTLEMENT_CSV_COLUMNS.length) throw new SettlementCsvFormatError(recordNo, `${rec.length} fields, expected ${SETTLEMENT_CSV_COLUMNS.length}`);
    if (field(rec, recordNo, 'business_date') !== businessDate || field(rec, recordNo, 'execution_date') !== executionDate) {
      throw new SettlementCsvFormatError(recordNo, `dates differ from the ${TOTAL_ROW_MARKER} row (${businessDate}, ${executionDate})`);
    }
    lines.push({
      lineNo: integer(rec, recordNo, 'line_no'),
      endToEndId: field(rec, recordNo, 'end_to_end_id'),
      providerId: field(rec, recordNo, 'provider_id'),
      providerName: field(rec, recordNo, 'provider_name'),
      providerBin: field(rec, recordNo, 'provider_bin'),
      iban: field(rec, recordNo, 'provider_iban'),
      bic: field(rec, recordNo, 'provider_bic'),
      knp: field(rec, recordNo, 'knp'),
      kbe: field(rec, recordNo, 'kbe'),
      amount: amountOf(rec, recordNo),
      paymentCount: integer(rec, recordNo, 'payment_count'),
    });
  }

  const totalNo = records.length;
  if (totalRecord.length !== SETTLEMENT_CSV_COLUMNS.length) throw new SettlementCsvFormatError(totalNo, `${totalRecord.length} fields, expected ${SETTLEMENT_CSV_COLUMNS.length}`);
  const amount = amountOf(totalRecord, totalNo);
  const paymentCount = integer(totalRecord, totalNo, 'payment_count');
  const linesAmount = formatAmount(sum(lines.map((l) => new Money(l.amount))));
  if (linesAmount !== amount) throw new SettlementCsvFormatError(totalNo, `${TOTAL_ROW_MARKER} amount ${amount} differs from the sum of the lines ${linesAmount}`);
  const linesPayments = lines.reduce((acc, l) => acc + l.paymentCount, 0);
  if (linesPayments !== paymentCount) throw new SettlementCsvFormatError(totalNo, `${TOTAL_ROW_MARKER} payment_count ${paymentCount} differs from the sum of the lines ${linesPayments}`);
  return { businessDate, executionDate, lines, total: { amount, paymentCount, lineCount: lines.length } };
}
