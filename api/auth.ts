// Bank authentication: `Authorization: Bearer <key>`. Every payment goes through here, so key
// lookups are cached in memory; entries live KEY_CACHE_TTL_MS, which bounds how long a revoked key
// keeps working. Unknown keys are cached too, but a guesser sends a new key every time, so each
// client address also has a budget of database look-ups (keys not in the cache) per minute, equal
// to the anonymous rate limit: past it, an unknown key counts as no key without asking the
// database, and the rate limit answers 429 at once.
// A failed authentication answers 401 with no detail: the caller learns nothing about which part
// was wrong. Two answers do say more, because they are about a key the caller holds rightly:
// 401 KEY_EXPIRED (its expiry passed; checked on every request, not cached) and 403 KEY_SCOPE (the
// route needs a scope the key lacks, api/scopes.ts and domain/api-scopes.ts).
//
// Two hooks, so that the rate limit (api/rate-limit.ts) runs between them: identifyBank on
// onRequest (sets request.bank, refuses nothing), then requireBank on preParsing, which still runs
// before the body is read, so an unauthenticated upload costs nothing.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { ApiError } from './errors';
import { findActiveBankKey, hashApiKey, looksLikeApiKey } from '../db/bank-keys';
import type { ApiScope } from '../domain/api-scopes';

/** A revoked key stops working within this time. */
export const KEY_CACHE_TTL_MS = 5_000;
/** Bound on cached keys (valid and invalid); past it the cache starts over. */
export const KEY_CACHE_ENTRIES_MAX = 10_000;
/** Window of the per-address look-up budget; as the rate limit's (api/rate-limit.ts). */
export const KEY_LOOKUP_WINDOW_MS = 60_000;
/** Bound on addresses whose look-ups are counted; past it the counts start over. */
export const KEY_LOOKUP_SOURCES_MAX = 10_000;

export interface AuthenticatedBank {
  code: string;
  name: string;
  keyId: string;
  scopes: readonly ApiScope[];
  /** Null: never expires. */
  expiresAtMs: number | null;
  /** Null: the API's default per-key limit. */
  rateLimitPerMinute: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bank authentication hook on every /v1 route (the key's bank, possibly expired). */
    bank: AuthenticatedBank | null;
  }
}

interface CacheEntry {
  bank: AuthenticatedBank | null;
  expiresAtMs: number;
}

export interface AuthenticatorOptions {
  ttlMs?: number;
  now?: () => number;
  /** Database look-ups of unknown keys per client address per KEY_LOOKUP_WINDOW_MS. */
  lookupsPerSourcePerMinute?: number;
}

export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lookups = new Map<string, { count: number; windowEndMs: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly lookupsMax: number;

  constructor(private readonly db: Db, opts: AuthenticatorOptions = {}) {
    this.ttlMs = opts.ttlMs ?? KEY_CACHE_TTL_MS;
    this.now = opts.now ?? Date.now;
    this.lookupsMax = opts.lookupsPerSourcePerMinute ?? Number.POSITIVE_INFINITY;
  }

  /** The count of unknown-key look-ups `source` made in this window. */
  private missesOf(source: string): { count: number; windowEndMs: number } {
    const nowMs = this.now();
    let entry = this.lookups.get(source);
    if (!entry || entry.windowEndMs <= nowMs) {
      if (this.lookups.size >= KEY_LOOKUP_SOURCES_MAX) this.lookups.clear();
      entry = { count: 0, windowEndMs: nowMs + KEY_LOOKUP_WINDOW_MS };
      this.lookups.set(source, entry);
    }
    return entry;
  }

  /**
   * The bank a key belongs to (its expiry is the caller's to check), or null for an unknown or
   * revoked key, or for a key not in the cache once `source` (the client address) has spent its
   * look-ups for the window.
   */
  async authenticate(key: string, source = ''): Promise<AuthenticatedBank | null> {
    if (!looksLikeApiKey(key)) return null;
    const sha256 = hashApiKey(key);
    const cached = this.cache.get(sha256);
    if (cached && cached.expiresAtMs > this.now()) return cached.bank;
    // Only unknown keys spend the budget, so a bank's valid keys never lock each other out.
    const misses = this.missesOf(source);
    if (misses.count >= this.lookupsMax) return null;
    const found = await findActiveBankKey(this.db, sha256);
    const bank: AuthenticatedBank | null = found
      ? { code: found.bankCode, name: found.bankName, keyId: found.id, scopes: found.scopes, expiresAtMs: found.expiresAt ? found.expiresAt.getTime() : null, rateLimitPerMinute: found.rateLimitPerMinute }
      : null;
    if (!bank) misses.count += 1;
    if (this.cache.size >= KEY_CACHE_ENTRIES_MAX) this.cache.clear();
    this.cache.set(sha256, { bank, expiresAtMs: this.now() + this.ttlMs });
    return bank;
  }

  clear(): void {
    this.cache.clear();
  }
}

export const BEARER_RE = /^Bearer ([^\s]{1,200})$/i;

/** onRequest: the bank of the request's key, if any; refuses nothing (requireBank does). */
export function identifyBankHook(authenticator: ApiKeyAuthenticator) {
  return async function identifyBank(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER_RE.exec(header) : null;
    request.bank = match?.[1] ? await authenticator.authenticate(match[1], request.ip) : null;
  };
}

/** preParsing: 401 without a valid key, 401 KEY_EXPIRED past its expiry, 403 KEY_SCOPE without the route's scope. */
export function requireBankHook(now: () => number = Date.now) {
  return async function requireBank(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const bank = request.bank;
    if (!bank) {
      reply.header('www-authenticate', 'Bearer realm="spc"');
      throw new ApiError(401, 'UNAUTHORIZED', 'authentication required: send Authorization: Bearer <API key>');
    }
    if (bank.expiresAtMs !== null && bank.expiresAtMs <= now()) {
      reply.header('www-authenticate', 'Bearer realm="spc", error="invalid_token"');
      throw new ApiError(401, 'KEY_EXPIRED', `this API key expired at ${new Date(bank.expiresAtMs).toISOString()}: ask the SPC for a new one`);
    }
    const scope = request.routeOptions.config.scope;
    if (scope === undefined || scope === 'any' || bank.scopes.includes(scope)) return;
    throw new ApiError(403, 'KEY_SCOPE', `this API key may not ${request.method} ${request.routeOptions.url ?? ''}: it needs scope ${scope} (it has ${bank.scopes.join(', ')})`, {
      required: scope,
      granted: bank.scopes,
    });
  };
}

/** onRoute of the /v1 scope: a route that declares no scope is a bug found when the server is built, not a hole. */
export function assertRouteHasScope(route: { method: string | string[]; url: string; config?: { scope?: unknown } }): void {
  if (route.config?.scope === undefined) throw new Error(`invariant: /v1 route ${String(route.method)} ${route.url} declares no scope (config.scope, api/scopes.ts)`);
}

/** The authenticated bank of a /v1 request; a route outside the hook calling this is a bug. */
export function bankOf(request: FastifyRequest): AuthenticatedBank {
  if (!request.bank) throw new Error('invariant: bankOf() on a route without bank authentication');
  return request.bank;
}
