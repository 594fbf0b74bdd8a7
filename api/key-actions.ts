// Which API key made each state change through the bank API: the entrance records it once per
// request, after the answer is known and before it is sent (why, and the table: db/key-actions.ts).
import type { Db } from '../db/connection';
import { insertKeyAction, type KeyAction } from '../db/key-actions';
import type { AuthenticatedBank } from './auth';

export async function recordKeyAction(db: Db, bank: AuthenticatedBank, action: KeyAction, subject: string, outcome: string): Promise<void> {
  await insertKeyAction(db, { keyId: bank.keyId, bankCode: bank.code, action, subject, outcome });
}
