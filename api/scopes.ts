// The scope a /v1 route needs (route config `scope`): one of the bank API's scopes
// (domain/api-scopes.ts), or `any`. api/auth.ts refuses a key without it with 403 KEY_SCOPE.
import type { ApiScope } from '../domain/api-scopes';

/** What a route needs: one scope, or `any` for routes every key may call (GET /v1/bank: whose key is this). */
export type RouteScope = ApiScope | 'any';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a /v1 route needs; a /v1 route without one is refused when the server is built. */
    scope?: RouteScope;
  }
}
