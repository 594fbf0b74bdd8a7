// The operator page's sessions (issue 16 item 6): opened at sign-in with a personal token, ended at
// logout. Written by the API's role (migration 20261208010001). The token and CSRF helpers are the
// cabinet's (db/cabinet.ts): one scheme of sessions, two tables.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { csrfTokenOf, sha256Hex, type OpenedSession } from './cabinet';

const CLAIMED_ID_CHARS_MAX = 64;

export async function recordOpsSignInFailure(db: Knex, claimedId: string, ipSha256: string): Promise<void> {
  await db('ops_sign_in_failures').insert({ claimed_id: claimedId.slice(0, CLAIMED_ID_CHARS_MAX), ip_sha256: ipSha256 });
}

export async function openOpsSession(db: Knex, operatorId: string, lifetimeMs: number): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = csrfTokenOf(token);
  const expiresAt = new Date(Date.now() + lifetimeMs);
  await db('ops_sessions').insert({ token_sha256: sha256Hex(token), csrf_sha256: sha256Hex(csrfToken), operator_id: operatorId, expires_at: expiresAt });
  return { token, csrfToken, expiresAt };
}

/** Marks the session used now (the idle limit counts from here). */
export async function touchOpsSession(db: Knex, tokenSha256: string): Promise<void> {
  await db('ops_sessions').where({ token_sha256: tokenSha256 }).whereNull('ended_at').update({ last_seen_at: db.fn.now() });
}

/** Ends the session; ending one already ended changes nothing. */
export async function endOpsSession(db: Knex, tokenSha256: string): Promise<void> {
  await db('ops_sessions').where({ token_sha256: tokenSha256 }).whereNull('ended_at').update({ ended_at: db.fn.now() });
}
