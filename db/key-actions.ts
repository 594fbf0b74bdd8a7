// Which API key made each state change through the bank API (the table's one writer, called by
// api/key-actions.ts): one api_key_actions row per payment, cancellation, register upload,
// confirmation or complaint request that reached its answer, with the key's id (never its secret),
// the business id it acted on and the answer's outcome.
//
// Why a table of its own rather than a column on the rows: those rows are written by workflows and
// their activities, whose inputs are recorded in histories and hashed for idempotency (a payment's
// request hash); a register's thousands of payments are posted set-based by its workflow. The key
// belongs to the request, so the entrance records it, once per request: a register of 50,000 rows
// is one row here (its payments carry the register id). Written after the answer is known and
// before it is sent, so an answer the bank got has its row; a request whose row could not be
// written answers 503 and the bank's repeat (idempotent) writes it. Operators' own actions stay in
// operator_audit, whose `operator` is a person.
import type { Db } from './connection';

export type KeyAction = 'payment.submit' | 'payment.cancel' | 'register.upload' | 'settlement.confirm' | 'complaint.raise';

/** Longest outcome stored (a refusal code or 'ok' / 'repeat'); a longer one is cut. */
export const KEY_ACTION_OUTCOME_CHARS_MAX = 64;

export interface KeyActionRow {
  keyId: string;
  bankCode: string;
  action: KeyAction;
  subject: string;
  outcome: string;
}

export async function insertKeyAction(db: Db, row: KeyActionRow): Promise<void> {
  await db('api_key_actions').insert({
    key_id: row.keyId, bank_code: row.bankCode, action: row.action, subject: row.subject, outcome: row.outcome.slice(0, KEY_ACTION_OUTCOME_CHARS_MAX),
  });
}
