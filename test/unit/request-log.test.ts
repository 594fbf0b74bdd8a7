// fastify's request lines through the SPC logger (infra/log.ts) at debug level: the operator token
// in /ops?token=, a bank's Authorization header and the codec UI's capability path never appear in
// them. A dead Postgres and a Temporal connection that never connects: no dev server is needed.
import { Client, Connection } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApiServer } from '../../api/server';
import { createDb } from '../../db/connection';
import { createLogger } from '../../infra/log';

const OPS_TOKEN = 'OPS-SECRET-7f3a';
const CODEC_VALUE = 'c0dec5ecretc0dec5ecret';
const BANK_KEY = `spck_${'S'.repeat(43)}`;

let app: FastifyInstance;
let db: ReturnType<typeof createDb>;
const lines: string[] = [];

beforeAll(async () => {
  db = createDb('postgres://postgres@127.0.0.1:1/spc_down');
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(line) }) as unknown as FastifyBaseLogger;
  app = buildApiServer({ db, client, taskQueue: 'spc-down', logger, operatorToken: OPS_TOKEN });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await db?.destroy();
});

beforeEach(() => void lines.splice(0));

describe('request logging', () => {
  it('logs /ops?token=<token> (an old bookmark: the token opens nothing now) with the token masked', async () => {
    const res = await app.inject({ method: 'GET', url: `/ops?lang=ru&token=${OPS_TOKEN}&x=1` });
    expect([res.statusCode, res.headers['set-cookie']]).toEqual([200, expect.stringContaining('spc_ops_pre=')]);
    expect(res.body).toContain('id="sign-in"');
    const incoming = lines.map((l) => JSON.parse(l) as { req?: { url?: string } }).find((l) => l.req?.url);
    expect(incoming?.req?.url).toBe('/ops?lang=ru&token=[redacted]&x=1');
    expect(lines.join('')).not.toContain(OPS_TOKEN);
  });

  it('logs the codec UI path without its capability value', async () => {
    await app.inject({ method: 'POST', url: `/codec/ui/${CODEC_VALUE}/decode`, payload: { payloads: [] } });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).toContain('/codec/ui/[redacted]/decode');
    expect(lines.join('')).not.toContain(CODEC_VALUE);
  });

  it('never writes an Authorization header, even when a handler logs the headers', async () => {
    await app.inject({ method: 'GET', url: '/v1/bank', headers: { authorization: `Bearer ${BANK_KEY}` } });
    app.log.info({ headers: { authorization: `Bearer ${BANK_KEY}`, cookie: `spc_ops=${OPS_TOKEN}` } }, 'headers');
    const all = lines.join('');
    expect(all).not.toContain(BANK_KEY);
    expect(all).not.toContain(OPS_TOKEN);
    expect(all).toContain('"authorization":"[redacted]"');
  });
});
