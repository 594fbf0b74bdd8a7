// A big register is parsed off the API's event loop (issue 16, item 10): while a 100,000-row
// register is being parsed, a probe request sent after the parse began is answered before the
// upload is. The control parses the same file inline (the behaviour before the fix) and sees the
// probe wait for the upload, so the test can fail. The register declares a wrong total, so it is
// parsed to the end and refused (400) with nothing stored: no workflow posts 100,000 payments.
import type { AddressInfo } from 'node:net';
import { createApiKey } from '../../db/bank-keys';
import { REGISTER_INLINE_BYTES_MAX, RegisterParser } from '../../api/register-parser';
import { parseRegisterUpload } from '../../api/register-upload';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { REGISTER_ROWS_MAX } from '../../domain/register-csv';
import { createWorld } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { loadCalendar, recentBusinessDay, registerCsv } from './api-support';

jest.setTimeout(300_000);

/** Calls `onStart` when a parse begins; `inlineBytesMax` Infinity parses on the event loop, as before the fix. */
class ObservedParser extends RegisterParser {
  constructor(private readonly onStart: () => void, inlineBytesMax?: number) {
    super(inlineBytesMax);
  }

  override async parse(body: Buffer, receivedAt: Date) {
    this.onStart();
    return super.parse(body, receivedAt);
  }
}

let h: Harness;
let key: string;
let big: Buffer;

beforeAll(async () => {
  h = await startHarness('offloop');
  await createWorld(h.database.db);
  key = (await createApiKey(h.database.db, 'HSBK', 'offloop')).key;
  const day = recentBusinessDay(await loadCalendar(h.database.db), 'registerWorkflow');
  const rows = Array.from({ length: REGISTER_ROWS_MAX }, (_, i) => ({
    ref: `offloop-${String(i).padStart(6, '0')}`, account: '7300000001', amount: '150.00', lines: 'WASTE:100.00|INTERCOM:50.00', readings: 'ELEC:12345.6', pile: `PILE-${i % 97}`,
  }));
  big = Buffer.from(registerCsv(day, rows, { total: '1.00' }));
});

afterAll(async () => {
  await h?.close();
});

/** Uploads the big register and, once its parse began, a probe; the order in which the two were answered. */
async function uploadWithProbe(inlineBytesMax?: number): Promise<{ order: string[]; upload: { status: number; code?: string }; probe: number }> {
  let started!: () => void;
  const parseBegan = new Promise<void>((resolve) => (started = resolve));
  const parser = new ObservedParser(() => started(), inlineBytesMax);
  const server: RunningApiServer = await startApiServer({ db: h.database.apiDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port: 0, logger: false, registerParser: parser });
  const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  const order: string[] = [];
  try {
    const upload = fetch(`${base}/v1/registers`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: big })
      .then(async (res) => ({ status: res.status, code: ((await res.json()) as { code?: string }).code }))
      .finally(() => order.push('upload'));
    await parseBegan;
    const probe = await fetch(`${base}/livez`).then((res) => res.status).finally(() => order.push('probe'));
    return { order, upload: await upload, probe };
  } finally {
    await server.close();
    await parser.close();
  }
}

describe('a big register upload', () => {
  it('is parsed off the event loop: a probe sent during the parse is answered first, and the register is refused whole', async () => {
    expect(big.length).toBeGreaterThan(5 * 1024 * 1024);
    const result = await uploadWithProbe();
    expect(result.order).toEqual(['probe', 'upload']);
    expect(result.probe).toBe(200);
    expect(result.upload).toEqual({ status: 400, code: 'MALFORMED_REGISTER' });
    expect(await h.database.db('registers').count({ n: '*' }).first()).toEqual({ n: '0' });
  });

  it('parses a well-formed big register on the thread to the same rows and content hash as inline', async () => {
    const day = recentBusinessDay(await loadCalendar(h.database.db), 'registerWorkflow');
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ ref: `ok-${i}`, account: '7300000001', amount: '10.50', lines: 'WASTE:10.50' }));
    const file = Buffer.from(registerCsv(day, rows));
    expect(file.length).toBeGreaterThan(REGISTER_INLINE_BYTES_MAX);
    const parser = new RegisterParser();
    try {
      const now = new Date();
      const threaded = await parser.parse(file, now);
      expect(threaded.ok).toBe(true);
      expect(threaded).toEqual(parseRegisterUpload(file, now));
    } finally {
      await parser.close();
    }
  });

  it('(control) parsed inline, as before, the same probe waits for the upload', async () => {
    const result = await uploadWithProbe(Number.POSITIVE_INFINITY);
    expect(result.order).toEqual(['upload', 'probe']);
    expect(result.upload).toEqual({ status: 400, code: 'MALFORMED_REGISTER' });
  });
});
