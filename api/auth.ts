// Bank authentication: `Authorization: Bearer <key>`. Every payment goes through here, so key
// lookups are cached in memory; entries live KEY_CACHE_TTL_MS, which bounds how long a revoked key
// keeps working. Unknown keys are cached too, so that guessing keys costs the database nothing.
// A failed authentication answers 401 with no detail: the caller learns nothing about which part
// was wrong.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { ApiError } from './errors';
import { hashApiKey, looksLikeApiKey } from './keys';

/** A revoked key stops working within this time. */
export const KEY_CACHE_TTL_MS = 5_000;
/** Bound on cached keys (valid and invalid); past it the cache starts over. */
export const KEY_CACHE_ENTRIES_MAX = 10_000;

export interface AuthenticatedBank {
  code: string;
  name: string;
  keyId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bank authentication hook on every /v1 route. */
    bank: AuthenticatedBank | null;
  }
}

interface CacheEntry {
  bank: AuthenticatedBank | null;
  expiresAtMs: number;
}

export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly db: Db, private readonly ttlMs = KEY_CACHE_TTL_MS, private readonly now: () => number = Date.now) {}

  /** The bank a key belongs to, or null for an unknown or revoked key. */
  async authenticate(key: string): Promise<AuthenticatedBank | null> {
    if (!looksLikeApiKey(key)) return null;
    const sha256 = hashApiKey(key);
    const cached = this.cache.get(sha256);
    if (cached && cached.expiresAtMs > this.now()) return cached.bank;
    const row = await this.db('bank_api_keys as k')
      .join('banks as b', 'b.code', 'k.bank_code')
      .where({ 'k.key_sha256': sha256 })
      .whereNull('k.revoked_at')
      .first('k.id', 'b.code', 'b.name');
    const bank = row ? { code: row.code as string, name: row.name as string, keyId: String(row.id) } : null;
    if (this.cache.size >= KEY_CACHE_ENTRIES_MAX) this.cache.clear();
    this.cache.set(sha256, { bank, expiresAtMs: this.now() + this.ttlMs });
    return bank;
  }

  clear(): void {
    this.cache.clear();
  }
}

const BEARER_RE = /^Bearer ([^\s]{1,200})$/i;

/** An onRequest hook: runs before the body is read, so an unauthenticated upload costs nothing. */
export function bankAuthHook(authenticator: ApiKeyAuthenticator) {
  return async function authenticateBank(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER_RE.exec(header) : null;
    const bank = match?.[1] ? await authenticator.authenticate(match[1]) : null;
    if (!bank) {
      reply.header('www-authenticate', 'Bearer realm="spc"');
      throw new ApiError(401, 'UNAUTHORIZED', 'authentication required: send Authorization: Bearer <API key>');
    }
    request.bank = bank;
  };
}

/** The authenticated bank of a /v1 request; a route outside the hook calling this is a bug. */
export function bankOf(request: FastifyRequest): AuthenticatedBank {
  if (!request.bank) throw new Error('invariant: bankOf() on a route without bank authentication');
  return request.bank;
}
