// The register workflow on the real dev server and Postgres: every row becomes a payment posted in
// bulk (or a recorded rejection), progress is visible while it runs, a worker process SIGKILLed in
// the middle loses and duplicates nothing, and the same file is one register.
//
// REGISTER_TEST_ROWS=50000 runs the volume case at full size (minutes); the default keeps the
// suite quick on a shared 2-core machine.
import { randomBytes } from 'node:crypto';
import { getRegister, submitRegister } from '../../client/registers';
import { parseRegisterCsv } from '../../domain/register-csv';
import { startHarness, type Harness } from '../support/harness';
import { createAccount, createWorld } from '../support/fixtures';
import { ledgerBreaches } from '../support/payment-world';
import { loadCalendar, recentBusinessDay, registerCsv, waitFor } from './api-support';
import { createHash } from 'node:crypto';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const ROWS = Number(process.env.REGISTER_TEST_ROWS ?? 5_000);
/** Generous: a loaded 2-core machine may post only a few tens of payments a second. */
const WAIT_MS = Math.max(1_200_000, ROWS * 250);
jest.setTimeout(WAIT_MS + 300_000);
const ACCOUNT_COUNT = 50;
const accounts = Array.from({ length: ACCOUNT_COUNT }, (_, i) => String(7200000000 + i));

let h: Harness;
let day: string;
const run = randomBytes(4).toString('hex');

beforeAll(async () => {
  h = await startHarness('register');
  await createWorld(h.database.db);
  for (const number of accounts) await createAccount(h.database.db, { number, lines: [{ service: 'WASTE', charged: '1596.00' }, { service: 'INTERCOM', charged: '350.00' }] });
  day = recentBusinessDay(await loadCalendar(h.database.db), 'registerWorkflow');
});

afterAll(async () => {
  await h?.close();
});

function file(tag: string, rows: number, opts: { badEvery?: number } = {}): { text: string; sha256: string } {
  const list = Array.from({ length: rows }, (_, i) => {
    const bad = opts.badEvery !== undefined && i % opts.badEvery === opts.badEvery - 1;
    return { ref: `${tag}-${run}-${i + 1}`, account: bad ? '7299999999' : (accounts[i % ACCOUNT_COUNT] as string), amount: `${100 + (i % 50)}.00`, pile: `P${Math.floor(i / 100) + 1}` };
  });
  const text = registerCsv(day, list);
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}

async function submit(f: { text: string; sha256: string }) {
  const parsed = parseRegisterCsv(f.text);
  if (!parsed.ok) throw new Error(`test file malformed: ${JSON.stringify(parsed.errors)}`);
  return submitRegister({ db: h.database.db, client: h.client, taskQueue: h.taskQueue }, 'HSBK', f.sha256, parsed.header, parsed.rows);
}

const waitDone = (id: string, timeoutMs = WAIT_MS) =>
  waitFor(`register ${id} done`, async () => {
    const view = await getRegister(h.database.db, 'HSBK', id, { limit: 1 });
    return view?.status === 'done' ? view : undefined;
  }, timeoutMs, 500);

describe('register workflow', () => {
  it(`posts ${ROWS} rows with progress visible while it runs, and rejects the bad ones row by row`, async () => {
    const f = file('vol', ROWS, { badEvery: 100 });
    const started = Date.now();
    const { register, created } = await submit(f);
    expect(created).toBe(true);
    const storedMs = Date.now() - started;

    const progress = new Set<number>();
    const done = await waitFor('register done', async () => {
      const view = await getRegister(h.database.db, 'HSBK', register.id, { limit: 1 });
      if (view) progress.add(view.rowsDone);
      return view?.status === 'done' ? view : undefined;
    }, WAIT_MS, 500);
    const totalMs = Date.now() - started;
    const bad = Math.floor(ROWS / 100);
    expect(done).toEqual(expect.objectContaining({ rowCount: ROWS, rowsDone: ROWS, rowsAccepted: ROWS - bad, rowsRejected: bad }));
    // Progress moved in steps, not all at once at the end.
    expect([...progress].filter((n) => n > 0 && n < ROWS).length).toBeGreaterThan(0);

    const posted = await h.database.db('payments').where({ register_id: register.id }).count({ n: '*' }).first();
    expect(Number(posted?.n)).toBe(ROWS - bad);
    const rejected = await getRegister(h.database.db, 'HSBK', register.id, { status: 'rejected', limit: 1000 });
    expect(rejected?.rows.every((r) => r.code === 'ACCOUNT_NOT_FOUND')).toBe(true);
    expect(await ledgerBreaches(h.database.db)).toEqual([]);
    process.stderr.write(
      `[register-workflow] ${ROWS} rows: stored in ${storedMs} ms, all posted in ${totalMs} ms (${((ROWS * 1000) / totalMs).toFixed(0)} rows/s), ${progress.size} progress readings\n`,
    );
  });

  it('is one register however often the same file is sent', async () => {
    const f = file('same', 20);
    const first = await submit(f);
    const second = await submit(f);
    expect(second.created).toBe(false);
    expect(second.register.id).toBe(first.register.id);
    await waitDone(first.register.id);
    const third = await submit(f);
    expect(third.register.status).toBe('done');
    expect(await h.database.db('payments').where({ register_id: first.register.id }).count({ n: '*' }).first()).toEqual({ n: '20' });
  });

  it('splits a row without lines by what the rows before it in the same batch left due on that account', async () => {
    const account = '7200000100';
    await createAccount(h.database.db, { number: account, lines: [{ service: 'WASTE', charged: '1596.00' }, { service: 'INTERCOM', charged: '350.00' }] });
    const rows = [
      { ref: `due-${run}-1`, account, amount: '1596.00', lines: 'WASTE:1596.00' },
      { ref: `due-${run}-2`, account, amount: '100.00' }, // WASTE is paid: all of it to INTERCOM (not 82.02 / 17.98)
      { ref: `due-${run}-3`, account, amount: '400.00' }, // INTERCOM's 250.00 left: all to INTERCOM, 150.00 of it as credit
      { ref: `due-${run}-4`, account, amount: '1946.00' }, // nothing still due: an overpayment, split by the amounts due
    ];
    const text = registerCsv(day, rows);
    const { register } = await submit({ text, sha256: createHash('sha256').update(text).digest('hex') });
    await waitDone(register.id);
    const posted = await h.database.db('allocations as a').join('payments as p', 'p.id', 'a.payment_id').whereIn('p.bank_ref', rows.map((r) => r.ref))
      .orderBy(['p.bank_ref', 'a.service_code']).select('p.bank_ref', 'a.service_code', 'a.amount');
    expect(posted.map((r) => [r.bank_ref.slice(-1), r.service_code, r.amount])).toEqual([
      ['1', 'WASTE', '1596.00'], ['2', 'INTERCOM', '100.00'], ['3', 'INTERCOM', '400.00'], ['4', 'INTERCOM', '350.00'], ['4', 'WASTE', '1596.00'],
    ]);
  });

  it('loses and duplicates nothing when its worker process is SIGKILLed in the middle', async () => {
    const rows = Math.max(20_000, Math.min(ROWS, 50_000));
    const f = file('crash', rows);
    // The harness's in-process worker steps aside: the register runs on worker processes only.
    await h.stopWorker();
    let victim: WorkerProcess | undefined;
    let heir: WorkerProcess | undefined;
    try {
      victim = await startWorkerProcess({ databaseUrl: h.database.url, appDatabaseUrl: h.database.appUrl, taskQueue: h.taskQueue });
      const { register } = await submit(f);
      await waitFor('some progress', async () => {
        const view = await getRegister(h.database.db, 'HSBK', register.id, { limit: 1 });
        return view && view.rowsDone > 0 && view.rowsDone < rows ? view : undefined;
      }, 600_000, 20);
      await victim.kill();
      const atCrash = await getRegister(h.database.db, 'HSBK', register.id, { limit: 1 });
      heir = await startWorkerProcess({ databaseUrl: h.database.url, appDatabaseUrl: h.database.appUrl, taskQueue: h.taskQueue });
      const done = await waitDone(register.id);
      expect(atCrash?.status).toBe('processing');
      expect(atCrash?.rowsDone).toBeLessThan(rows);
      expect(done).toEqual(expect.objectContaining({ rowsDone: rows, rowsAccepted: rows, rowsRejected: 0 }));
      const posted = await h.database.db('payments').where({ register_id: register.id }).count({ n: '*' }).first();
      expect(Number(posted?.n)).toBe(rows);
      const pending = await h.database.db('register_rows').where({ register_id: register.id, status: 'pending' }).count({ n: '*' }).first();
      expect(pending).toEqual({ n: '0' });
      const unlinked = await h.database.db('register_rows').where({ register_id: register.id }).whereNull('payment_id').count({ n: '*' }).first();
      expect(unlinked).toEqual({ n: '0' });
      expect(await ledgerBreaches(h.database.db)).toEqual([]);
    } finally {
      await victim?.kill();
      await heir?.stop();
      await h.startWorker();
    }
  });
});
