// The API's error layer (api/errors.ts): a fault of a dependency is 503 with Retry-After, never
// 500; a hostile cookie is a refusal, not a crash. The server here has a Postgres that is down (a
// closed port) and a Temporal connection that never connects: no dev server is needed.
import { Client, Connection, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../api/server';
import { isUnavailable, RETRY_AFTER_SECONDS } from '../../api/errors';
import { createDb } from '../../db/connection';
import { OPS_SESSION_COOKIE as OPS_COOKIE } from '../../api/routes/ops';

const DEAD_POSTGRES = 'postgres://postgres@127.0.0.1:1/spc_down';
const WELL_FORMED_KEY = `spck_${'a'.repeat(43)}`;

let app: FastifyInstance;
let db: ReturnType<typeof createDb>;

beforeAll(async () => {
  db = createDb(DEAD_POSTGRES);
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
  app = buildApiServer({ db, client, taskQueue: 'spc-down', logger: false, operatorToken: 'ops-secret' });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await db?.destroy();
});

describe('a fault of a dependency', () => {
  it('answers 503 UNAVAILABLE with Retry-After when Postgres is down', async () => {
    for (const [method, url] of [['GET', '/v1/settlements'], ['GET', '/v1/payments/x-1']] as const) {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${WELL_FORMED_KEY}` } });
      expect([res.statusCode, res.json().code, res.headers['retry-after']]).toEqual([503, 'UNAVAILABLE', String(RETRY_AFTER_SECONDS)]);
    }
    const ops = await app.inject({ method: 'GET', url: '/ops/api/overview', headers: { authorization: 'Bearer ops-secret' } });
    expect([ops.statusCode, ops.headers['retry-after']]).toEqual([503, String(RETRY_AFTER_SECONDS)]);
  }, 30_000);

  it('reads the Temporal SDK\'s fault errors as unavailable, and a bug as not', () => {
    const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });
    // What executeUpdateWithStart throws while the worker is killed: the workflow task failed.
    const failedTask = grpc(10, 'Update-with-Start could not be executed. Workflow Task in failed state.');
    expect(isUnavailable(new ServiceError('Failed to execute update-with-start', { cause: failedTask }))).toBe(true);
    expect(isUnavailable(failedTask)).toBe(true);
    expect(isUnavailable(new WorkflowUpdateRPCTimeoutOrCancelledError('timeout', { cause: grpc(4, 'deadline') }))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isUnavailable(Object.assign(new Error('too many clients'), { code: '53300' }))).toBe(true);
    expect(isUnavailable(new Error('wrapped', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }))).toBe(true);
    expect(isUnavailable(new TypeError('Cannot read properties of undefined'))).toBe(false);
    expect(isUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
  });
});

describe('hostile input on the operator page', () => {
  it('answers a malformed session cookie as no session: 401, not 500', async () => {
    for (const cookie of [`${OPS_COOKIE}=%zz`, `${OPS_COOKIE}=%E0%A4%A`, `${OPS_COOKIE}`, '=;=;;']) {
      const res = await app.inject({ method: 'GET', url: '/ops/api/overview', headers: { cookie } });
      expect([cookie, res.statusCode, res.json().code]).toEqual([cookie, 401, 'UNAUTHORIZED']);
    }
  });
});
