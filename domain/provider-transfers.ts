// What a provider reports it received (issue 19 item 2): one transfer per bank statement line, for
// one bank's list of one business day. Parsing of the JSON and CSV forms, and the matching rule
// against the lists' lines. Pure: no I/O.
import { InvalidAmountError, Money, ZERO, formatAmount, parseAmount } from './money';

/** One report holds at most this many transfers: a month of 8 banks is ~200. */
export const TRANSFERS_PER_REPORT_MAX = 5_000;
export const STATEMENT_REF_CHARS_MAX = 64;

export interface ReportedTransfer {
  bankCode: string;
  businessDate: string;
  amount: string;
  statementRef: string;
  receivedOn: string | null;
}

export class TransferReportError extends Error {
  override name = 'TransferReportError';
  constructor(readonly code: 'MALFORMED_TRANSFERS', message: string, readonly details: { row?: number; field?: string }) {
    super(message);
  }
}

const BANK_CODE_RE = /^[A-Z]{4}$/;
const DATE_RE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
const STATEMENT_REF_RE = /^[\x21-\x7E\u0400-\u04FF][\x20-\x7E\u0400-\u04FF]*$/;

function fieldError(row: number, field: string, message: string): TransferReportError {
  return new TransferReportError('MALFORMED_TRANSFERS', `transfer ${row}: ${field} ${message}`, { row, field });
}

/** Validates one transfer given as strings (from JSON or a CSV row); row is 1-based. */
export function parseTransfer(raw: Record<string, unknown>, row: number): ReportedTransfer {
  const text = (field: string): string => {
    const v = raw[field];
    if (typeof v !== 'string') throw fieldError(row, field, 'is missing or not a string');
    return v.trim();
  };
  const bankCode = text('bankCode');
  if (!BANK_CODE_RE.test(bankCode)) throw fieldError(row, 'bankCode', 'is not a four-letter bank code');
  const businessDate = text('businessDate');
  if (!DATE_RE.test(businessDate) || Number.isNaN(Date.parse(`${businessDate}T00:00:00Z`))) throw fieldError(row, 'businessDate', 'is not a date YYYY-MM-DD');
  let amount: Money;
  try {
    amount = parseAmount(text('amount'));
  } catch (err) {
    if (err instanceof InvalidAmountError) throw fieldError(row, 'amount', err.message);
    throw err;
  }
  if (!amount.gt(ZERO)) throw fieldError(row, 'amount', 'must be above zero');
  const statementRef = text('statementRef');
  if (statementRef.length === 0 || statementRef.length > STATEMENT_REF_CHARS_MAX || !STATEMENT_REF_RE.test(statementRef)) {
    throw fieldError(row, 'statementRef', `must be 1-${STATEMENT_REF_CHARS_MAX} printable characters`);
  }
  const receivedOnRaw = raw.receivedOn;
  let receivedOn: string | null = null;
  if (receivedOnRaw !== undefined && receivedOnRaw !== null && receivedOnRaw !== '') {
    if (typeof receivedOnRaw !== 'string' || !DATE_RE.test(receivedOnRaw)) throw fieldError(row, 'receivedOn', 'is not a date YYYY-MM-DD');
    receivedOn = receivedOnRaw;
  }
  return { bankCode, businessDate, amount: formatAmount(amount), statementRef, receivedOn };
}

export const TRANSFER_CSV_COLUMNS = ['bank_code', 'business_date', 'amount', 'statement_ref', 'received_on'] as const;

/**
 * A bank-statement extract as CSV: a header naming at least bank_code, business_date, amount,
 * statement_ref (received_on optional), comma or semicolon separated, one transfer a row. No quoting:
 * none of the fields may hold a separator.
 */
export function parseTransferCsv(text: string): ReportedTransfer[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined) throw new TransferReportError('MALFORMED_TRANSFERS', 'the extract is empty: a header row and one row per transfer', {});
  const sep = header.includes(';') ? ';' : ',';
  const columns = header.split(sep).map((c) => c.trim().toLowerCase());
  for (const c of TRANSFER_CSV_COLUMNS.slice(0, 4)) {
    if (!columns.includes(c)) throw new TransferReportError('MALFORMED_TRANSFERS', `the header lacks column ${c} (it needs ${TRANSFER_CSV_COLUMNS.join(', ')})`, { field: c });
  }
  const at = (cells: string[], c: string) => cells[columns.indexOf(c)];
  return lines.slice(1).map((line, i) => {
    const cells = line.split(sep).map((c) => c.trim());
    if (cells.length !== columns.length) throw new TransferReportError('MALFORMED_TRANSFERS', `row ${i + 1}: ${cells.length} fields, the header has ${columns.length}`, { row: i + 1 });
    return parseTransfer({
      bankCode: at(cells, 'bank_code'), businessDate: at(cells, 'business_date'), amount: at(cells, 'amount'), statementRef: at(cells, 'statement_ref'),
      receivedOn: columns.includes('received_on') ? at(cells, 'received_on') : undefined,
    }, i + 1);
  });
}

/** The same statement reference twice in one report is a typo or a double line: refused. */
export function assertDistinctRefs(transfers: ReportedTransfer[]): void {
  const seen = new Set<string>();
  transfers.forEach((t, i) => {
    if (seen.has(t.statementRef)) throw fieldError(i + 1, 'statementRef', `repeats ${t.statementRef} of an earlier row`);
    seen.add(t.statementRef);
  });
}

export type MatchStatus = 'matched' | 'short' | 'excess' | 'unknown' | 'awaiting';

/**
 * One bank's list day to the provider: what the list line says (null: no such line) against what the
 * provider reported received. matched: equal to the tiyn; short/excess: less/more; unknown: money
 * reported for a bank and day with no list line; awaiting: nothing reported yet.
 */
export function matchStatus(expected: string | null, received: string): MatchStatus {
  const got = new Money(received);
  if (expected === null) return 'unknown';
  if (got.isZero()) return 'awaiting';
  const want = new Money(expected);
  if (got.eq(want)) return 'matched';
  return got.lt(want) ? 'short' : 'excess';
}

/** Signed open difference: what the list says minus what arrived (positive: money still missing). */
export function openDifference(expected: string | null, received: string): string {
  return formatAmount(new Money(expected ?? 0).minus(received));
}
