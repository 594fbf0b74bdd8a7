// Provider authentication for /v1/provider/… (issue 18 item 1): `Authorization: Bearer spcp_…`,
// resolved by db/provider-keys.ts. Only provider keys open these routes: a bank key (or anything
// else that is not a provider key) answers 401 PROVIDER_KEY_REQUIRED, and the bank routes answer an
// spcp_ key 401 UNAUTHORIZED, because api/auth.ts only looks up keys of its own scheme.
// Look-ups are cached for PROVIDER_KEY_CACHE_TTL_MS like bank keys (api/auth.ts): that bounds how
// long a revoked or just-expired key keeps working. Cache entries are keyed by the key's SHA-256,
// so the secrets themselves are not kept in memory.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { looksLikeProviderKey, resolveProviderKey, type ProviderKeyIdentity, type ProviderScope } from '../db/provider-keys';
import { BEARER_RE } from './auth';
import { ApiError } from './errors';

export const PROVIDER_KEY_CACHE_TTL_MS = 5_000;
/** Bound on cached keys (valid and unknown); past it the cache starts over. */
export const PROVIDER_KEY_CACHE_ENTRIES_MAX = 10_000;

/** What a provider route needs: one provider scope, or `any` (GET /v1/provider/me). */
export type ProviderRouteScope = ProviderScope | 'any';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a /v1/provider route needs; a provider route without one is refused when the server is built. */
    providerScope?: ProviderRouteScope;
  }
  interface FastifyRequest {
    /** Set by the provider authentication hook on every /v1/provider route. */
    provider: ProviderKeyIdentity | null;
  }
}

export class ProviderKeyAuthenticator {
  private readonly cache = new Map<string, { identity: ProviderKeyIdentity | null; expiresAtMs: number }>();

  constructor(private readonly db: Db, private readonly ttlMs = PROVIDER_KEY_CACHE_TTL_MS, private readonly now: () => number = Date.now) {}

  async authenticate(key: string): Promise<ProviderKeyIdentity | null> {
    const sha256 = createHash('sha256').update(key, 'utf8').digest('hex');
    const cached = this.cache.get(sha256);
    if (cached && cached.expiresAtMs > this.now()) return cached.identity;
    const identity = await resolveProviderKey(this.db, key);
    if (this.cache.size >= PROVIDER_KEY_CACHE_ENTRIES_MAX) this.cache.clear();
    this.cache.set(sha256, { identity, expiresAtMs: this.now() + this.ttlMs });
    return identity;
  }
}

/** onRequest: 401 PROVIDER_KEY_REQUIRED without a provider key, 401 UNAUTHORIZED for an unknown, revoked or expired one, 403 KEY_SCOPE without the route's scope. */
export function requireProviderHook(authenticator: ProviderKeyAuthenticator) {
  return async function requireProvider(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const key = (typeof header === 'string' ? BEARER_RE.exec(header) : null)?.[1];
    if (!key || !looksLikeProviderKey(key)) {
      reply.header('www-authenticate', 'Bearer realm="spc-provider"');
      throw new ApiError(401, 'PROVIDER_KEY_REQUIRED', 'this route takes a provider API key: send Authorization: Bearer spcp_… (bank keys open the bank routes only)');
    }
    const provider = await authenticator.authenticate(key);
    if (!provider) {
      reply.header('www-authenticate', 'Bearer realm="spc-provider", error="invalid_token"');
      throw new ApiError(401, 'UNAUTHORIZED', 'unknown, revoked or expired provider API key');
    }
    request.provider = provider;
    const scope = request.routeOptions.config.providerScope;
    if (scope === 'any' || (scope !== undefined && provider.scopes.includes(scope))) return;
    throw new ApiError(403, 'KEY_SCOPE', `this provider key may not ${request.method} ${request.routeOptions.url ?? ''}: it needs scope ${String(scope)} (it has ${provider.scopes.join(', ')})`, {
      required: scope,
      granted: provider.scopes,
    });
  };
}

/** onRoute of the /v1/provider scope: a route that declares no provider scope is a bug found when the server is built. */
export function assertRouteHasProviderScope(route: { method: string | string[]; url: string; config?: { providerScope?: unknown } }): void {
  if (route.config?.providerScope === undefined) throw new Error(`invariant: provider route ${String(route.method)} ${route.url} declares no providerScope (api/provider-auth.ts)`);
}

/** The authenticated provider of a /v1/provider request; a route outside the hook calling this is a bug. */
export function providerOf(request: FastifyRequest): ProviderKeyIdentity {
  if (!request.provider) throw new Error('invariant: providerOf() on a route without provider authentication');
  return request.provider;
}
