// The provider's own webhook (issue 19): GET/PUT/DELETE /v1/provider/webhook and POST
// /v1/provider/webhook/rotate-secret (scope registers: the webhook carries the daily registers).
// The same rules as `spc provider webhook …` (db/provider-webhooks.ts): a URL to a private,
// link-local or metadata address, or plain http:// to another machine, answers 422 with the rule's
// code and stores nothing. A secret is in the answer once: when the first URL is set, or on rotation.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { WEBHOOK_SECRET_GRACE_MS, WebhookSettingError } from '../../db/webhook-secrets';
import { describeProviderWebhook, rotateProviderWebhookSecret, setProviderWebhook } from '../../db/provider-webhooks';
import { ApiError } from '../errors';
import { providerOf } from '../provider-auth';
import { commonErrors, errorResponse } from '../schemas';

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];

/** A URL longer than this is no one's webhook. */
export const WEBHOOK_URL_CHARS_MAX = 2_000;

const webhookSchema = {
  type: 'object',
  required: ['providerId', 'url', 'signingSecrets'],
  properties: {
    providerId: { type: 'string' },
    url: { type: 'string', nullable: true, example: 'https://hooks.provider.kz/spc/registers' },
    updatedAt: { type: 'string', nullable: true, format: 'date-time' },
    signingSecrets: { type: 'integer', description: 'secrets signing now: 2 during a rotation\'s grace period' },
    secret: { type: 'string', description: 'the signing secret, only in the answer that created it: store it now (X-SPC-Signature, docs/provider-api.md)' },
    graceHours: { type: 'number' },
  },
} as const;

async function settingRefused<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WebhookSettingError) throw new ApiError(err.code === 'PROVIDER_NOT_FOUND' ? 404 : 422, err.code, err.message);
    throw err;
  }
}

export const providerWebhookRoutes: FastifyPluginAsync<ApiDeps> = async (app: App, deps) => {
  const base = { tags: ['provider'], security: [{ providerKey: [] }] };
  app.get('/webhook', {
    config: { providerScope: 'registers' },
    schema: { ...base, summary: 'Where the daily registers are pushed (null: the provider pulls them)', response: { 200: webhookSchema, 403: errorResponse, ...commonErrors } },
  }, async (request) => describeProviderWebhook(deps.db, providerOf(request).providerId));

  app.put<{ Body: { url: string } }>('/webhook', {
    config: { providerScope: 'registers' },
    schema: {
      ...base,
      summary: 'Set the webhook the daily registers are pushed to (https://; never a private, link-local or metadata address); the first one comes with its signing secret',
      body: { type: 'object', required: ['url'], additionalProperties: false, properties: { url: { type: 'string', minLength: 1, maxLength: WEBHOOK_URL_CHARS_MAX } } },
      response: { 200: webhookSchema, 403: errorResponse, 422: errorResponse, ...commonErrors },
    },
  }, async (request) => {
    const { providerId } = providerOf(request);
    const set = await settingRefused(() => setProviderWebhook(deps.db, providerId, request.body.url));
    return { ...(await describeProviderWebhook(deps.db, providerId)), ...(set.secret ? { secret: set.secret } : {}) };
  });

  app.delete('/webhook', {
    config: { providerScope: 'registers' },
    schema: { ...base, summary: 'Stop the pushes (the registers stay to be pulled)', response: { 200: webhookSchema, 403: errorResponse, ...commonErrors } },
  }, async (request) => {
    const { providerId } = providerOf(request);
    await settingRefused(() => setProviderWebhook(deps.db, providerId, null));
    return describeProviderWebhook(deps.db, providerId);
  });

  app.post('/webhook/rotate-secret', {
    config: { providerScope: 'registers' },
    schema: { ...base, summary: 'A new signing secret, in this answer only; the previous one keeps signing beside it for the grace period', response: { 200: webhookSchema, 403: errorResponse, ...commonErrors } },
  }, async (request) => {
    const { providerId } = providerOf(request);
    const secret = await settingRefused(() => rotateProviderWebhookSecret(deps.db, providerId));
    return { ...(await describeProviderWebhook(deps.db, providerId)), secret, graceHours: WEBHOOK_SECRET_GRACE_MS / 3_600_000 };
  });
};
