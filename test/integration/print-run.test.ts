// The period's print run on the real dev server and Postgres (issue 20 item 1): invoices from the
// database in print order (district, street, house, flat), N per file, the text of every page read
// back with pdftotext and its sums checked against the database, the manifest's hashes matching the
// files, and a re-run writing byte-identical files. The workflow's history holds no address, name or
// account of a printed invoice (issue 20: personal data stays out of Temporal histories), also after
// a worker process is SIGKILLed in the middle of a batch and the batch is resumed from its heartbeat.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { historyFromJson, type History } from '../../audit/history-json';
import { startPrintRun } from '../../client/print-runs';
import { submitPayment } from '../../client/payments';
import { loadPrintRun } from '../../db/queries/print-runs';
import { currentPeriod } from '../../db/seed/demo';
import { fromDb, formatAmount, sum } from '../../domain/money';
import type { PrintManifest } from '../../domain/print-run-types';
import { createAccount, createWorld } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { HISTORIES_DIR, recordHistory } from '../support/histories';
import { waitFor } from '../support/wait';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

jest.setTimeout(300_000);

const printDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-print-'));
process.env.SPC_PRINT_DIR = printDir;

const period = currentPeriod().slice(0, 7);
/** Accounts in number order; their addresses put them in another order on paper. */
const HOUSEHOLDS: Array<{ number: string; address: string; district?: string }> = [
  { number: '7300000001', address: 'г. Алматы, ул. Абая, д. 10, кв. 2' },
  { number: '7300000002', address: 'г. Алматы, ул. Абая, д. 9, кв. 15' },
  { number: '7300000003', address: 'г. Алматы, ул. Абая, д. 9, кв. 3' },
  { number: '7300000004', address: 'г. Алматы, мкр. Самал-2, д. 58, кв. 12' },
  { number: '7300000005', address: 'г. Алматы, пр. Достык, д. 5а, кв. 1' },
  { number: '7300000006', address: 'г. Алматы, пр. Достык, д. 5, кв. 7' },
  { number: '7300000007', address: 'г. Алматы, ул. Абая, д. 9, кв. 3', district: 'Бостандыкский' },
];
const PRINT_ORDER = ['7300000004', '7300000006', '7300000005', '7300000003', '7300000002', '7300000001', '7300000007'];
const HOLDER_NAME = 'Қайратов Әсет Ұланұлы';
/**
 * What must not be in a print run's history: the streets, districts and holder names of the
 * households above (synthetic test data), and their account numbers. Lower case: the print key is.
 */
const PERSONAL = [...new Set([
  ...HOUSEHOLDS.map((hh) => /, (?:ул|пр|мкр)\. ([^,]+),/.exec(hh.address)?.[1] as string),
  ...HOUSEHOLDS.flatMap((hh) => (hh.district ? [hh.district] : [])),
  ...HOLDER_NAME.split(' '),
  ...PRINT_ORDER,
].map((s) => s.toLowerCase()))];
/** A missed heartbeat (workflows/activity-options.ts BATCH_HEARTBEAT: 60 s) and a worker process's start, on a loaded machine. */
const RESUME_WAIT_MS = 300_000;

let h: Harness;

beforeAll(async () => {
  h = await startHarness('print');
  await createWorld(h.database.db);
  for (const [i, hh] of HOUSEHOLDS.entries()) {
    await createAccount(h.database.db, {
      number: hh.number, address: hh.address, holderName: HOLDER_NAME,
      lines: [{ service: 'ELEC', opening: `${i * 10}.50`, charged: '4200.25', previousReading: '1500.000' }, { service: 'WASTE', charged: '596.00' }],
    });
    if (hh.district) await h.database.db('personal_accounts').where({ number: hh.number }).update({ district: hh.district });
  }
  const paid = await submitPayment(h.ctx, { bankCode: 'HSBK', bankRef: `print-${randomBytes(4).toString('hex')}`, channel: 'cash_desk', account: '7300000003', amount: '1000.00' });
  if (!paid.ok) throw new Error(`payment rejected: ${paid.code}`);
});

afterAll(async () => {
  await h?.close();
  fs.rmSync(printDir, { recursive: true, force: true });
});

/** Still due per account from the database: the lines' amount due less what standing payments put on them. */
async function stillDueByAccount(): Promise<Map<string, string>> {
  const { rows } = await h.database.db.raw<{ rows: Array<{ account: string; due: string; paid: string }> }>(`
    SELECT i.account_number AS account, sum(l.amount_due) AS due,
           COALESCE((SELECT sum(p.amount) FROM payments p WHERE p.invoice_id = i.id AND p.status = 'accepted'), 0) AS paid
      FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.period = ?::date GROUP BY i.id, i.account_number`, [`${period}-01`]);
  return new Map(rows.map((r) => [r.account, formatAmount(fromDb(r.due).minus(fromDb(r.paid)))]));
}

function pagesOf(file: string): Array<{ account: string; stillDue: string; text: string }> {
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  return text.split('\f').filter((p) => p.trim() !== '').map((page) => ({
    account: /Дербес шот: ([0-9]+)/.exec(page)?.[1] ?? '',
    stillDue: /Барлығы төлеуге: ([0-9.]+) KZT/.exec(page)?.[1] ?? '',
    text: page,
  }));
}

/** Every string and every payload (JSON bytes) of a history, lower case: what a reader of the history can see. */
function historyText(history: History): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(history);
  return parts.join('\n').toLowerCase();
}

async function personalInHistory(workflowId: string, runId: string): Promise<string[]> {
  const text = historyText(await h.client.workflow.getHandle(workflowId, runId).fetchHistory());
  return PERSONAL.filter((p) => text.includes(p));
}

/** The files a run's manifest lists, by name. */
function filesOf(manifestPath: string): Map<string, Buffer> {
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as PrintManifest;
  return new Map(manifest.fileList.map((f) => [f.name, fs.readFileSync(path.join(path.dirname(manifestPath), f.name))]));
}

/** Holds the row of one file of the period (taken FOR UPDATE), so a run that rewrites it waits there. */
async function holdFileRow(db: Knex, fileNo: number): Promise<Knex.Transaction> {
  const trx = await db.transaction();
  const rows = await trx('print_run_files').where({ period: `${period}-01`, file_no: fileNo }).forUpdate().select('file_no');
  if (rows.length !== 1) throw new Error(`no row of file ${fileNo} to hold`);
  return trx;
}

/** The backends waiting on a lock to write a print_run_files row. */
async function waitingFileWriters(db: Knex): Promise<number[]> {
  const { rows } = await db.raw(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'insert into "print_run_files"%'`);
  return rows.map((r: { pid: number }) => r.pid);
}

describe('print run', () => {
  it('prints the period in print order, 3 per file, with sums from the database and hashes in the manifest; a re-run is byte-identical', async () => {
    const started = await startPrintRun(h.ctx, { period, invoicesPerFile: 3 });
    const first = await started.result();
    await recordHistory(h.client, 'print-run', 'cursor-by-file', started.workflowId);
    expect(first).toEqual(expect.objectContaining({ period, invoices: 7, files: 3 }));

    const manifest = JSON.parse(fs.readFileSync(first.manifestPath, 'utf8')) as PrintManifest;
    const dir = path.join(printDir, period);
    expect(manifest.fileList.map((f) => f.invoices)).toEqual([3, 3, 1]);
    const bytesOf = new Map<string, Buffer>();
    for (const f of manifest.fileList) {
      const bytes = fs.readFileSync(path.join(dir, f.name));
      bytesOf.set(f.name, bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      expect(bytes.length).toBe(f.bytes);
    }

    const pages = manifest.fileList.flatMap((f) => pagesOf(path.join(dir, f.name)));
    expect(pages.map((p) => p.account)).toEqual(PRINT_ORDER);
    const due = await stillDueByAccount();
    for (const p of pages) expect(p.stillDue).toBe(due.get(p.account));
    // The paid account shows what it paid, and its still due is 1,000.00 less than its total.
    const paidPage = pages.find((p) => p.account === '7300000003');
    expect(paidPage?.text).toContain('Оплачено / Төленді: 1000.00 KZT');
    expect(paidPage?.text).toContain('1500.000');
    expect(paidPage?.text).toMatch(/ә|қ|ұ/);
    expect(manifest.totalStillDue).toBe(formatAmount(sum([...due.values()].map((v) => fromDb(v)))));

    const status = await loadPrintRun(h.database.db, period);
    expect(status).toEqual(expect.objectContaining({ state: 'done', filesDone: 3, filesTotal: 3, invoicesDone: 7, invoicesTotal: 7 }));

    const again = await (await startPrintRun(h.ctx, { period, invoicesPerFile: 3 })).result();
    expect(again.manifestSha256).toBe(first.manifestSha256);
    for (const [name, bytes] of bytesOf) expect(fs.readFileSync(path.join(dir, name)).equals(bytes)).toBe(true);
  });
  it('keeps every address, name and account of the printed invoices out of the workflow\'s history', async () => {
    const started = await startPrintRun(h.ctx, { period, invoicesPerFile: 2 });
    await started.result();
    expect(await personalInHistory(started.workflowId, started.runId)).toEqual([]);
  });

  it('finds the address in a history recorded before patch print-run-cursor-by-file: the check above can fail', () => {
    const before = historyFromJson(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, 'print-run', 'before-cursor-by-file.json'), 'utf8')));
    expect(PERSONAL.filter((p) => historyText(before).includes(p))).toEqual(expect.arrayContaining(['абая', 'бостандыкский', '7300000007']));
  });

  it('resumes a batch whose worker process was SIGKILLed after two files: the same bytes, every invoice once, no address in the history', async () => {
    const db = h.database.db;
    const clean = await (await startPrintRun(h.ctx, { period, invoicesPerFile: 2 })).result();
    const cleanFiles = filesOf(clean.manifestPath);
    expect([...cleanFiles.keys()]).toHaveLength(4);
    for (const name of cleanFiles.keys()) fs.rmSync(path.join(printDir, period, name));

    await h.stopWorker();
    const workers: WorkerProcess[] = [];
    const third = await holdFileRow(db, 3);
    let started: Awaited<ReturnType<typeof startPrintRun>> | undefined;
    try {
      workers.push(await startWorkerProcess({ databaseUrl: h.database.url, appDatabaseUrl: h.database.appUrl, taskQueue: h.taskQueue }));
      started = await startPrintRun(h.ctx, { period, invoicesPerFile: 2 });
      const runId = started.runId;
      const blocked = await waitFor('the batch to wait on the third file\'s row', async () => (await waitingFileWriters(db))[0], RESUME_WAIT_MS);
      expect(await db('print_run_files').where({ period: `${period}-01`, run_id: runId }).orderBy('file_no').pluck('file_no')).toEqual([1, 2]);
      await (workers[0] as WorkerProcess).kill();
      // The dead worker's insert gets the row, finds its client gone and rolls back.
      await third.rollback();
      await waitFor('the killed insert to end', async () => !(await db.raw('SELECT 1 FROM pg_stat_activity WHERE pid = ?', [blocked])).rows.length, RESUME_WAIT_MS);
      await h.startWorker();
      const resumed = await started.result();
      expect(resumed.manifestSha256).toBe(clean.manifestSha256);
      const files = filesOf(resumed.manifestPath);
      expect([...files.keys()]).toEqual([...cleanFiles.keys()]);
      for (const [name, bytes] of files) expect({ name, same: bytes.equals(cleanFiles.get(name) as Buffer) }).toEqual({ name, same: true });
      const pages = [...files.keys()].flatMap((name) => pagesOf(path.join(printDir, period, name)));
      expect(pages.map((p) => p.account)).toEqual(PRINT_ORDER);
      expect(await db('print_run_files').where({ period: `${period}-01`, run_id: runId }).orderBy('file_no').pluck('file_no')).toEqual([1, 2, 3, 4]);
      // The batch was retried: its attempt's last heartbeat is in the history too.
      const history = await h.client.workflow.getHandle(started.workflowId, runId).fetchHistory();
      expect(history.events?.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)).toBe(true);
      await recordHistory(h.client, 'print-run', 'cursor-by-file-resumed', started.workflowId);
      expect(await personalInHistory(started.workflowId, runId)).toEqual([]);
    } finally {
      if (!third.isCompleted()) await third.rollback();
      for (const w of workers) await w.kill();
    }
  });
});
