// Operator accounts and their personal tokens (issue 16 item 6). Written by the owner only (the
// CLI: `spc operator …`); the application's role reads them to authenticate. A token is a random
// 32-byte secret shown once, stored only as its SHA-256 with a short clear prefix to list and revoke
// by, in a scheme of its own (spco_) so that no bank or provider key can pass for it.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './connection';
import { OPERATOR_ID_RE, isOperatorRole, isSystemOperator, operatorIdOf, type OperatorRole } from '../domain/operator-roles';

export const OPERATOR_TOKEN_SCHEME = 'spco_';
const OPERATOR_TOKEN_RE = /^spco_[A-Za-z0-9_-]{43}$/;
const TOKEN_PREFIX_CHARS = OPERATOR_TOKEN_SCHEME.length + 8;
const DISPLAY_NAME_CHARS_MAX = 100;
const LABEL_CHARS_MAX = 100;
const DAY_MS = 24 * 60 * 60_000;
/** A personal token lives 90 days unless told otherwise, a year at most. */
export const OPERATOR_TOKEN_DAYS_DEFAULT = 90;
export const OPERATOR_TOKEN_DAYS_MAX = 366;

export class OperatorAccountError extends Error {
  override name = 'OperatorAccountError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export interface OperatorIdentity {
  id: string;
  role: OperatorRole;
  displayName: string;
}

export function looksLikeOperatorToken(token: string): boolean {
  return OPERATOR_TOKEN_RE.test(token);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The id an account is created under: lower-case, well-formed, never the SPC's own. */
export function checkedOperatorId(login: string): string {
  const id = operatorIdOf(login);
  if (isSystemOperator(id)) throw new OperatorAccountError('RESERVED_OPERATOR', `"${id}" is the SPC itself (its own proposals), not a person`);
  if (!OPERATOR_ID_RE.test(id)) throw new OperatorAccountError('INVALID_OPERATOR_ID', 'an operator id is 1-64 lower-case letters, digits or . _ @ -, starting with a letter or digit');
  return id;
}

export async function createOperator(db: Db, o: { id: string; displayName: string; role: string }): Promise<OperatorIdentity> {
  const id = checkedOperatorId(o.id);
  if (!isOperatorRole(o.role)) throw new OperatorAccountError('INVALID_ROLE', `unknown role ${JSON.stringify(o.role)}`);
  const displayName = o.displayName.trim().slice(0, DISPLAY_NAME_CHARS_MAX);
  if (!displayName) throw new OperatorAccountError('INVALID_REQUEST', 'an operator needs a display name');
  const inserted = await db('operators').insert({ id, display_name: displayName, role: o.role }).onConflict('id').ignore().returning('id');
  if (inserted.length === 0) throw new OperatorAccountError('OPERATOR_EXISTS', `operator ${id} exists`);
  return { id, role: o.role, displayName };
}

/** Makes `id` an enabled admin: created when missing, re-enabled as admin when it exists (the bootstrap of `spc up`). */
export async function ensureEnabledAdmin(db: Db, id: string, displayName: string): Promise<void> {
  const exists = await db('operators').where({ id }).first('id');
  if (!exists) await createOperator(db, { id, displayName, role: 'admin' });
  else await db('operators').where({ id }).update({ role: 'admin', disabled_at: null });
}

/** Disables an operator and revokes their tokens; disabling twice keeps the first time. */
export async function disableOperator(db: Db, login: string): Promise<{ id: string; tokensRevoked: number }> {
  const id = operatorIdOf(login);
  return db.transaction(async (trx) => {
    const row = await trx('operators').where({ id }).forUpdate().first('id');
    if (!row) throw new OperatorAccountError('OPERATOR_NOT_FOUND', `no operator ${id}`);
    await trx('operators').where({ id }).whereNull('disabled_at').update({ disabled_at: trx.fn.now() });
    const tokensRevoked = await trx('operator_tokens').where({ operator_id: id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
    return { id, tokensRevoked };
  });
}

export interface CreatedOperatorToken {
  id: string;
  operatorId: string;
  prefix: string;
  expiresAt: Date;
  /** The secret: shown once, never stored. */
  token: string;
}

export async function createOperatorToken(db: Db, login: string, opts: { days?: number; label?: string } = {}): Promise<CreatedOperatorToken> {
  const id = operatorIdOf(login);
  const days = opts.days ?? OPERATOR_TOKEN_DAYS_DEFAULT;
  if (!Number.isInteger(days) || days < 1 || days > OPERATOR_TOKEN_DAYS_MAX) throw new OperatorAccountError('INVALID_REQUEST', `a token lives 1 to ${OPERATOR_TOKEN_DAYS_MAX} days`);
  const operator = await db('operators').where({ id }).first('id', 'disabled_at');
  if (!operator) throw new OperatorAccountError('OPERATOR_NOT_FOUND', `no operator ${id}`);
  if (operator.disabled_at) throw new OperatorAccountError('OPERATOR_DISABLED', `operator ${id} is disabled`);
  const token = `${OPERATOR_TOKEN_SCHEME}${randomBytes(32).toString('base64url')}`;
  const prefix = token.slice(0, TOKEN_PREFIX_CHARS);
  const expiresAt = new Date(Date.now() + days * DAY_MS);
  const [row] = await db('operator_tokens')
    .insert({ operator_id: id, token_prefix: prefix, token_sha256: sha256Hex(token), label: opts.label?.trim().slice(0, LABEL_CHARS_MAX) || null, expires_at: expiresAt })
    .returning(['id']);
  return { id: String(row.id), operatorId: id, prefix, expiresAt, token };
}

/** Revokes by id or prefix; revoking twice keeps the first time. */
export async function revokeOperatorToken(db: Db, selector: string): Promise<{ id: string; operatorId: string }> {
  const byId = /^\d{1,18}$/.test(selector);
  const rows = await db('operator_tokens').where(byId ? { id: selector } : { token_prefix: selector }).select('id', 'operator_id');
  if (rows.length !== 1) throw new OperatorAccountError('TOKEN_NOT_FOUND', `${rows.length} operator tokens match ${JSON.stringify(selector)}: give the id`);
  await db('operator_tokens').where({ id: rows[0].id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
  return { id: String(rows[0].id), operatorId: rows[0].operator_id };
}

/** The operator a presented token belongs to, or null when it is unknown, revoked, expired or its operator disabled. */
export async function resolveOperatorToken(db: Db, token: string): Promise<OperatorIdentity | null> {
  if (!looksLikeOperatorToken(token)) return null;
  const row = await db('operator_tokens as t')
    .join('operators as o', 'o.id', 't.operator_id')
    .where('t.token_sha256', sha256Hex(token))
    .whereNull('t.revoked_at')
    .where('t.expires_at', '>', db.fn.now())
    .whereNull('o.disabled_at')
    .first('o.id', 'o.role', 'o.display_name');
  return row && isOperatorRole(row.role) ? { id: row.id, role: row.role, displayName: row.display_name } : null;
}

/** Whether any enabled admin exists: without one, the first admin may be created without a credential (bootstrap). */
export async function hasEnabledAdmin(db: Db): Promise<boolean> {
  return Boolean(await db('operators').where({ role: 'admin' }).whereNull('disabled_at').first('id'));
}
