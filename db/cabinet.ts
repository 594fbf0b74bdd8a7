// The cabinet's state changes (issue 20 item 3) that are not Temporal's: access codes (operators,
// as the database owner), sessions and wrong-code records (the API, as the application's role).
// A household's meter reading is written here too, in one transaction with its checks
// (api/cabinet-readings.ts): it is one row, and needs no workflow to be durable.
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashAccessCode, newAccessCode } from '../domain/access-code';
import { accountExists } from './queries/accounts';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The session's CSRF token, derived from its cookie's token: the page (which cannot read the HttpOnly
 * cookie) gets it from GET /cabinet/api/session, which another site's page cannot read.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update(`spc-cabinet-csrf:${sessionToken}`, 'utf8').digest('base64url');
}

export class AccessCodeError extends Error {
  override name = 'AccessCodeError';
}

/** A new access code for the account, replacing the old one (which stops working at once). Returns the code: shown once, never stored. */
export async function rotateAccessCode(db: Knex, account: string): Promise<string> {
  if (!(await accountExists(db, account))) throw new AccessCodeError(`personal account ${JSON.stringify(account)} is not in the SPC database`);
  const code = newAccessCode();
  await db.transaction(async (trx) => {
    await trx('cabinet_access_codes')
      .insert({ account_number: account, code_hash: hashAccessCode(code), rotated_at: trx.fn.now() })
      .onConflict('account_number').merge();
    // A new code ends the sessions the old one opened: rotating is what an operator does when a code leaked.
    await trx('cabinet_sessions').where({ account_number: account }).whereNull('ended_at').update({ ended_at: trx.fn.now() });
  });
  return code;
}

export async function recordSignInFailure(db: Knex, account: string, ipSha256: string): Promise<void> {
  // The account column is bounded by the table; anything longer is not an account number anyway.
  await db('cabinet_sign_in_failures').insert({ account_number: account.slice(0, 32), ip_sha256: ipSha256 });
}

export interface OpenedSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** How a household signed in: its access code or a one-time link mailed to a confirmed address (db/cabinet-sign-in-links.ts). */
export type SignInMethod = 'code' | 'link';

/** Opens a session; its row, with the method, is the record of the sign-in. */
export async function openSession(db: Knex, account: string, lifetimeMs: number, method: SignInMethod = 'code'): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = csrfTokenOf(token);
  const expiresAt = new Date(Date.now() + lifetimeMs);
  await db('cabinet_sessions').insert({ token_sha256: sha256Hex(token), csrf_sha256: sha256Hex(csrfToken), account_number: account, expires_at: expiresAt, sign_in_method: method });
  return { token, csrfToken, expiresAt };
}

/** Ends the session; ending one already ended changes nothing. */
export async function endSession(db: Knex, tokenSha256: string): Promise<void> {
  await db('cabinet_sessions').where({ token_sha256: tokenSha256 }).whereNull('ended_at').update({ ended_at: db.fn.now() });
}

/** A household's readings against its current invoice (checked by the caller, in the caller's transaction). */
export async function insertCabinetReadings(trx: Knex, invoiceId: string, readings: ReadonlyArray<{ meterId: string; value: string; previous: string }>): Promise<void> {
  await trx('cabinet_readings').insert(readings.map((c) => ({ meter_id: c.meterId, invoice_id: invoiceId, value: c.value, previous_value: c.previous })));
}
