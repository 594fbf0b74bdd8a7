// Bank API keys: a random 32-byte secret shown once, stored only as its SHA-256, identified by a
// short non-secret prefix (shown in listings and used to revoke). Each key has scopes
// (domain/api-scopes.ts), may expire, and may have its own rate limit. Creating and revoking keys
// are operator actions: the CLI records them in operator_audit. The store of the CLI (which issues
// keys) and of the API (which looks them up, api/auth.ts), so it stands in db/.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './connection';
import { SCOPE_PRESET_DEFAULT, SCOPE_PRESETS, type ApiScope } from '../domain/api-scopes';
import { bankExists } from './queries/banks';

/** Every key starts with this, so a leaked key is recognisable in logs and by secret scanners. */
export const API_KEY_SCHEME = 'spck_';
export const API_KEY_SECRET_BYTES = 32;
/** Characters of the key kept in clear as its identifier: the scheme plus 8 of the secret. */
export const API_KEY_PREFIX_CHARS = API_KEY_SCHEME.length + 8;
const API_KEY_RE = /^spck_[A-Za-z0-9_-]{43}$/;
export const API_KEY_LABEL_CHARS_MAX = 100;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function looksLikeApiKey(key: string): boolean {
  return API_KEY_RE.test(key);
}

export function generateApiKey(): { key: string; prefix: string; sha256: string } {
  const key = `${API_KEY_SCHEME}${randomBytes(API_KEY_SECRET_BYTES).toString('base64url')}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX_CHARS), sha256: hashApiKey(key) };
}

/** Thrown when a key is created for a bank the SPC does not know. */
export class UnknownBankError extends Error {
  override name = 'UnknownBankError';
  constructor(readonly bankCode: string) {
    super(`bank ${JSON.stringify(bankCode)} is not registered at the SPC: see \`spc bank list\``);
  }
}

/** Thrown when a revocation names no key, or a prefix that several keys share. */
export class ApiKeyNotFoundError extends Error {
  override name = 'ApiKeyNotFoundError';
  constructor(readonly selector: string, reason: string) {
    super(`no key to revoke for ${JSON.stringify(selector)}: ${reason}`);
  }
}

/** Bounds of a per-key rate limit (requests per minute); the CHECK constraint holds the same. */
export const RATE_LIMIT_PER_MINUTE_MAX = 1_000_000;

export interface ApiKeyOptions {
  /** Default: every scope (the `bank` preset). */
  scopes?: readonly ApiScope[];
  /** Unset: the key does not expire. */
  expiresAt?: Date;
  /** Unset: the API's default per-key limit (SPC_RATE_LIMIT_PER_MINUTE). */
  rateLimitPerMinute?: number;
}

export interface CreatedApiKey {
  id: string;
  bankCode: string;
  prefix: string;
  label: string | null;
  scopes: ApiScope[];
  expiresAt: Date | null;
  rateLimitPerMinute: number | null;
  /** The secret: shown once, never stored. */
  key: string;
}

/** Thrown when a key's options are out of bounds (no scope, an expiry in the past, a limit of 0). */
export class InvalidApiKeyOptionsError extends Error {
  override name = 'InvalidApiKeyOptionsError';
}

function checkedOptions(opts: ApiKeyOptions, now: Date): { scopes: ApiScope[]; expiresAt: Date | null; rateLimitPerMinute: number | null } {
  const scopes = [...(opts.scopes ?? SCOPE_PRESETS[SCOPE_PRESET_DEFAULT])];
  if (scopes.length === 0) throw new InvalidApiKeyOptionsError('a key needs at least one scope');
  if (opts.expiresAt && !(opts.expiresAt.getTime() > now.getTime())) throw new InvalidApiKeyOptionsError(`expiry ${opts.expiresAt.toISOString()} is not in the future`);
  const limit = opts.rateLimitPerMinute;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= RATE_LIMIT_PER_MINUTE_MAX)) {
    throw new InvalidApiKeyOptionsError(`rate limit must be a whole number of requests per minute from 1 to ${RATE_LIMIT_PER_MINUTE_MAX}`);
  }
  return { scopes, expiresAt: opts.expiresAt ?? null, rateLimitPerMinute: limit ?? null };
}

export async function createApiKey(db: Db, bankCode: string, label?: string, opts: ApiKeyOptions = {}): Promise<CreatedApiKey> {
  const checked = checkedOptions(opts, new Date());
  if (!(await bankExists(db, bankCode))) throw new UnknownBankError(bankCode);
  const cleanLabel = label?.trim().slice(0, API_KEY_LABEL_CHARS_MAX) || null;
  const generated = generateApiKey();
  const [row] = await db('bank_api_keys')
    .insert({
      bank_code: bankCode, key_prefix: generated.prefix, key_sha256: generated.sha256, label: cleanLabel,
      scopes: checked.scopes, expires_at: checked.expiresAt, rate_limit_per_minute: checked.rateLimitPerMinute,
    })
    .returning(['id']);
  return { id: String(row.id), bankCode, prefix: generated.prefix, label: cleanLabel, ...checked, key: generated.key };
}

export interface RevokedApiKey {
  id: string;
  bankCode: string;
  prefix: string;
  revokedAt: Date;
  alreadyRevoked: boolean;
}

/** Revokes one key by its numeric id or its prefix (as listed); revoking twice keeps the first time. */
export async function revokeApiKey(db: Db, selector: string): Promise<RevokedApiKey> {
  const byId = /^\d{1,18}$/.test(selector);
  const rows = await db('bank_api_keys')
    .where(byId ? { id: selector } : { key_prefix: selector })
    .select('id', 'bank_code', 'key_prefix', 'revoked_at');
  if (rows.length === 0) throw new ApiKeyNotFoundError(selector, 'give the id or the prefix shown by `spc bank key list`');
  if (rows.length > 1) throw new ApiKeyNotFoundError(selector, `${rows.length} keys share this prefix: revoke by id instead`);
  const row = rows[0];
  if (row.revoked_at) return { id: String(row.id), bankCode: row.bank_code, prefix: row.key_prefix, revokedAt: row.revoked_at, alreadyRevoked: true };
  const [updated] = await db('bank_api_keys').where({ id: row.id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() }).returning(['revoked_at']);
  return { id: String(row.id), bankCode: row.bank_code, prefix: row.key_prefix, revokedAt: updated?.revoked_at ?? new Date(), alreadyRevoked: false };
}

export interface ApiKeyListing {
  id: string;
  bankCode: string;
  prefix: string;
  label: string | null;
  scopes: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  rateLimitPerMinute: number | null;
}

export async function listApiKeys(db: Db, bankCode?: string): Promise<ApiKeyListing[]> {
  const query = db('bank_api_keys')
    .orderBy('id')
    .select('id', 'bank_code', 'key_prefix', 'label', 'scopes', 'created_at', 'expires_at', 'revoked_at', 'rate_limit_per_minute');
  if (bankCode) query.where({ bank_code: bankCode });
  const rows = await query;
  return rows.map((r) => ({
    id: String(r.id), bankCode: r.bank_code, prefix: r.key_prefix, label: r.label, scopes: (r.scopes as string[]).join(','),
    createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, rateLimitPerMinute: r.rate_limit_per_minute,
  }));
}

/** A key that authenticates: not revoked, with its bank's name (its expiry is the caller's to check). */
export interface ActiveBankKey {
  id: string;
  bankCode: string;
  bankName: string;
  scopes: ApiScope[];
  expiresAt: Date | null;
  rateLimitPerMinute: number | null;
}

/** The unrevoked key of this SHA-256, if any (api/auth.ts caches the answer). */
export async function findActiveBankKey(db: Db, sha256: string): Promise<ActiveBankKey | null> {
  const row = await db('bank_api_keys as k')
    .join('banks as b', 'b.code', 'k.bank_code')
    .where({ 'k.key_sha256': sha256 })
    .whereNull('k.revoked_at')
    .first('k.id', 'b.code', 'b.name', 'k.scopes', 'k.expires_at', 'k.rate_limit_per_minute');
  return row
    ? {
        id: String(row.id), bankCode: row.code as string, bankName: row.name as string, scopes: row.scopes as ApiScope[],
        expiresAt: (row.expires_at as Date | null) ?? null, rateLimitPerMinute: row.rate_limit_per_minute ?? null,
      }
    : null;
}
