// The provider API (issue 18 item 1), under /v1/provider behind provider keys (api/provider-auth.ts).
// GET /v1/provider/me: whose key this is, its scopes and the provider's services.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { findProviderProfile } from '../../db/queries/providers';
import { readingsRoute } from './provider-readings';
import { providerChargeRoutes } from './provider-charges';
import { ProviderKeyAuthenticator, assertRouteHasProviderScope, providerOf, requireProviderHook } from '../provider-auth';
import { commonErrors, errorResponse } from '../schemas';
import { ALL_PROVIDER_SCOPES } from '../../db/provider-keys';
import { providerRegisterRoutes } from './provider-registers';
import { providerTransferRoutes } from './provider-transfers';
import { providerWebhookRoutes } from './provider-webhook';

const serviceSchema = {
  type: 'object',
  required: ['code', 'nameRu', 'nameKk', 'nameEn', 'metered', 'unit'],
  properties: {
    code: { type: 'string', example: 'CWATER' },
    nameRu: { type: 'string' },
    nameKk: { type: 'string' },
    nameEn: { type: 'string', example: 'Cold water' },
    metered: { type: 'boolean' },
    unit: { type: 'string', nullable: true, example: 'm3' },
  },
} as const;

export const providerRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get(
    '/me',
    {
      config: { providerScope: 'any' },
      schema: {
        tags: ['provider'],
        summary: 'The provider the key belongs to, the key\'s scopes and the provider\'s services',
        security: [{ providerKey: [] }],
        response: {
          200: {
            type: 'object',
            required: ['id', 'name', 'scopes', 'services'],
            properties: {
              id: { type: 'string', example: 'ALMATY_SU' },
              name: { type: 'string' },
              scopes: { type: 'array', items: { type: 'string', enum: ALL_PROVIDER_SCOPES } },
              services: { type: 'array', items: serviceSchema },
            },
          },
          403: errorResponse,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const identity = providerOf(request);
      const profile = await findProviderProfile(deps.db, identity.providerId);
      // The key's provider row is referenced by the key (a foreign key): it cannot be missing.
      if (!profile) throw new Error(`invariant: provider ${identity.providerId} of key ${identity.keyId} is gone`);
      return { id: profile.id, name: profile.name, scopes: identity.scopes, services: profile.services };
    },
  );
  readingsRoute(app, deps);
  await app.register(providerChargeRoutes, deps);
  await app.register(providerRegisterRoutes, deps);
  await app.register(providerTransferRoutes, deps);
  await app.register(providerWebhookRoutes, deps);
};

/** The OpenAPI security scheme of the provider routes. */
export const PROVIDER_KEY_SECURITY = { type: 'http', scheme: 'bearer', description: 'Provider API key (spcp_…, `spc provider key create`), for /v1/provider routes only' } as const;

/** The provider API with its own authentication; registered beside (not inside) the bank /v1 scope. */
export const providerApi: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const authenticator = new ProviderKeyAuthenticator(deps.db);
  app.addHook('onRoute', assertRouteHasProviderScope);
  app.addHook('onRequest', requireProviderHook(authenticator));
  await app.register(providerRoutes, deps);
};
