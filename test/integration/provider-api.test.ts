// The provider API's authentication on real Postgres (the API as the application's role, called
// through fastify inject): a provider key sees its own provider and services only; bank keys are
// refused on provider routes and provider keys on bank routes; revoked, expired and made-up keys
// are refused; GET /v1/provider/me is in the OpenAPI document.
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../db/bank-keys';
import { buildApiServer } from '../../api/server';
import { createProviderKey, revokeProviderKey } from '../../db/provider-keys';
import { seedReferenceData } from '../../db/seed/reference';
import { createTestDatabase, type TestDatabase } from '../support/env';

jest.setTimeout(120_000);

let database: TestDatabase;
let app: FastifyInstance;
let bankKey: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedReferenceData(database.db);
  bankKey = (await createApiKey(database.db, 'HSBK', 'test')).key;
  // These routes never reach Temporal: a client to nowhere proves it.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  app = buildApiServer({ db: database.appDb, client, taskQueue: 'none', logger: false });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
});

const get = (url: string, key?: string) => app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

async function servicesOf(providerId: string): Promise<string[]> {
  return database.db('services').where({ provider_id: providerId }).orderBy('code').pluck('code');
}

it('answers GET /v1/provider/me with the key\'s own provider, its scopes and its services only', async () => {
  const water = await createProviderKey(database.db, 'ALMATY_SU', { scopes: ['readings'] });
  const heat = await createProviderKey(database.db, 'ALTS');
  const waterServices = await servicesOf('ALMATY_SU');
  expect(waterServices.length).toBeGreaterThan(0);

  const res = await get('/v1/provider/me', water.key);
  expect(res.statusCode).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  const body = res.json();
  expect(body).toMatchObject({ id: 'ALMATY_SU', name: 'ГКП на ПХВ «Алматы Су»', scopes: ['readings'] });
  expect(body.services.map((s: { code: string }) => s.code).sort()).toEqual(waterServices);
  expect(body.services).toContainEqual(expect.objectContaining({ code: 'CWATER', metered: true, unit: 'm3' }));

  const other = (await get('/v1/provider/me', heat.key)).json();
  expect(other.id).toBe('ALTS');
  expect(other.services.map((s: { code: string }) => s.code).sort()).toEqual(await servicesOf('ALTS'));
  expect(other.services.some((s: { code: string }) => waterServices.includes(s.code))).toBe(false);
});

it('refuses bank keys, no key and made-up keys on provider routes with 401 PROVIDER_KEY_REQUIRED', async () => {
  for (const key of [bankKey, undefined, 'not-a-key']) {
    const res = await get('/v1/provider/me', key);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'PROVIDER_KEY_REQUIRED' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="spc-provider"');
  }
  // The bank key itself still works where it belongs.
  expect((await get('/v1/bank', bankKey)).statusCode).toBe(200);
});

it('refuses a provider key on the bank routes: payments and the invoice look-up', async () => {
  const { key } = await createProviderKey(database.db, 'ALMATY_SU');
  expect((await get('/v1/provider/me', key)).statusCode).toBe(200);
  const pay = await app.inject({ method: 'POST', url: '/v1/payments', headers: { authorization: `Bearer ${key}` }, payload: { bankRef: 'x' } });
  expect(pay.statusCode).toBe(401);
  expect(pay.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  for (const url of ['/v1/accounts/7100000001/invoice', '/v1/payments/x', '/v1/bank']) {
    const res = await get(url, key);
    expect({ url, status: res.statusCode, code: res.json().code }).toEqual({ url, status: 401, code: 'UNAUTHORIZED' });
  }
});

it('refuses revoked, expired and unknown provider keys with 401 UNAUTHORIZED', async () => {
  const revoked = await createProviderKey(database.db, 'ALMATY_SU');
  await revokeProviderKey(database.db, revoked.id);
  const expiring = await createProviderKey(database.db, 'ALMATY_SU', { expiresAt: new Date(Date.now() + 60_000) });
  await database.db('provider_api_keys').where({ id: expiring.id }).update({ expires_at: new Date(Date.now() - 1000) });
  const unknown = `spcp_${'A'.repeat(43)}`;
  for (const key of [revoked.key, expiring.key, unknown]) {
    const res = await get('/v1/provider/me', key);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  }
});

it('documents GET /v1/provider/me in the OpenAPI document with the provider key scheme', async () => {
  const doc = (await get('/openapi.json')).json();
  expect(doc.paths['/v1/provider/me'].get.security).toEqual([{ providerKey: [] }]);
  expect(doc.components.securitySchemes.providerKey).toMatchObject({ type: 'http', scheme: 'bearer' });
});
