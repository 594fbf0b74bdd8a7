// What an uploaded register file is, from its bytes alone: strict UTF-8, the format of
// domain/register-csv.ts, the paid_at rule at its receipt, and the hash of its content. Pure and
// CPU-bound (a 20 MiB register takes seconds), so big files run it on a worker thread
// (api/register-parser.ts); the answer is plain data, since it crosses the thread boundary.
import { addDays, toAlmaty } from '../domain/calendar';
import { parseIsoInstant } from '../domain/instant';
import { PAID_AT_PAST_DAYS_MAX, paidAtProblem } from '../domain/payment-validation';
import { parseRegisterCsv, registerContentSha256, REGISTER_ERRORS_LISTED_MAX, type LineError, type RegisterHeader, type RegisterRow } from '../domain/register-csv';

/**
 * A register whose business date is older than this is refused: its rows' receipt is the upload,
 * and the SPC takes no payment dated more than PAID_AT_PAST_DAYS_MAX days before receipt.
 */
export const REGISTER_PAST_DAYS_MAX = PAID_AT_PAST_DAYS_MAX;

export type RegisterUpload =
  | { ok: true; header: RegisterHeader; rows: RegisterRow[]; sha256: string }
  | { ok: false; message: string; details: { errors: LineError[]; errorCount: number } };

/** The paidAt rule of domain/payment-validation.ts applied to the register at its upload: its date and every row's paid_at. */
function registerAgeErrors(header: RegisterHeader, rows: readonly RegisterRow[], receivedAt: Date): { errors: LineError[]; errorCount: number } {
  const today = toAlmaty(receivedAt).date;
  const date = header.businessDate;
  if (date > today) return { errors: [{ line: 1, message: `business_date ${date} is in the future (today is ${today} in Almaty)` }], errorCount: 1 };
  if (date < addDays(today, -REGISTER_PAST_DAYS_MAX)) {
    return { errors: [{ line: 1, message: `business_date ${date} is more than ${REGISTER_PAST_DAYS_MAX} days ago (PAID_AT_TOO_OLD): the SPC takes no payment that old` }], errorCount: 1 };
  }
  const errors: LineError[] = [];
  let errorCount = 0;
  for (const row of rows) {
    const paidAt = row.paidAt === undefined ? null : parseIsoInstant(row.paidAt);
    const problem = paidAt === null ? null : paidAtProblem(paidAt, receivedAt);
    if (!problem) continue;
    errorCount++;
    if (errors.length < REGISTER_ERRORS_LISTED_MAX) errors.push({ line: row.lineNo, message: `paid_at: ${problem.message} (${problem.code})` });
  }
  return { errors, errorCount };
}

/** The register in `body` received at `receivedAt`, or why it is refused (400 MALFORMED_REGISTER, nothing posted). */
export function parseRegisterUpload(body: Uint8Array, receivedAt: Date): RegisterUpload {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { ok: false, message: 'the register is not valid UTF-8 text: save it as UTF-8', details: { errors: [{ line: 1, message: 'not UTF-8' }], errorCount: 1 } };
  }
  const parsed = parseRegisterCsv(text);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    return {
      ok: false,
      message: `the register has ${parsed.errorCount} error(s) and was not accepted; nothing was posted. First: line ${first?.line}: ${first?.message}`,
      details: { errors: parsed.errors, errorCount: parsed.errorCount },
    };
  }
  const age = registerAgeErrors(parsed.header, parsed.rows, receivedAt);
  if (age.errorCount > 0) {
    const first = age.errors[0];
    return { ok: false, message: `line ${first?.line}: ${first?.message}; nothing was posted`, details: age };
  }
  // The content's hash, not the bytes': the same register re-sent with a BOM or CRLF is the same register.
  return { ok: true, header: parsed.header, rows: parsed.rows, sha256: registerContentSha256(parsed.header, parsed.rows) };
}
