// Export, archive and replay of real workflow histories: `spc audit export` writes what
// `temporal workflow show --output json` writes plus a manifest with SHA-256 per file; the files
// replay against the current code; an altered or missing file is reported, not replayed; the
// archive of a closed bank-day holds its payments, register and settlement.
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { submitRegister } from '../../client/registers';
import { getSettlementState, resolveDiscrepancy, startSettlement } from '../../client/settlements';
import { parseRegisterCsv } from '../../domain/register-csv';
import {
  archiveBankDay, buildVisibilityQuery, createArchiveActivities, exportHistories, historiesFromDir, historyFromJson, MANIFEST_FILE, replayHistories, sha256Hex, type Manifest,
} from '../../audit';
import { MockActivityEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../infra/config';
import { findTemporalCli } from '../../infra/temporal-binary';
import { startHarness, type Harness } from '../support/harness';
import { testTemporalAddress } from '../support/env';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { auditWeekday, harnessEnv, runSpc, settleDay, uniqueTag, waitFor } from './audit-helpers';

jest.setTimeout(600_000);

let h: Harness;
let date: string;
let tmp: string;
const tag = uniqueTag();
const refs = { a: `ax-${tag}-a`, b: `ax-${tag}-b`, rejected: `ax-${tag}-rejected`, open: `ax-${tag}-open` };
let registerWorkflowId: string;
/** The 2 accepted payments, the register (whose row is posted by the register's own workflow) and the settlement carry BankCode + BusinessDate. */
const DAY_WORKFLOWS = 4;

beforeAll(async () => {
  h = await startHarness('audit-export');
  await createPaymentWorld(h.database.db);
  date = auditWeekday(2022);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-audit-export-'));
  const paidAt = `${date}T10:00:00+05:00`;
  const base = { bankCode: WORLD.bank, channel: 'cash_desk' as const, account: WORLD.account, paidAt };
  expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: refs.a, amount: '450.00' })).toMatchObject({ ok: true });
  expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: refs.b, amount: '900.00', channel: 'kiosk' })).toMatchObject({ ok: true });
  expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: refs.rejected, account: '9999999999', amount: '10.00' })).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_FOUND' });
  expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankCode: WORLD.otherBank, bankRef: refs.open, amount: '450.00' })).toMatchObject({ ok: true });
  const csv = [`#register;business_date=${date};count=1;total=300.00`, 'bank_ref;account;amount;paid_at', `ax-${tag}-reg-1;${WORLD.account};300.00;${paidAt}`, ''].join('\n');
  const parsed = parseRegisterCsv(csv);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const { register } = await submitRegister(h.ctx, WORLD.bank, createHash('sha256').update(csv).digest('hex'), parsed.header, parsed.rows);
  registerWorkflowId = register.workflowId;
  await waitFor('register done', async () => (await h.database.db('registers').where({ id: register.id }).first('status'))?.status === 'done');
  // Register declared 1 of the 3 accepted payments: the day waits in discrepancy for a decision.
  await startSettlement(h.ctx, WORLD.bank, date, { operator: 'auditor-test' });
  await waitFor('discrepancy', async () => (await getSettlementState(h.ctx, WORLD.bank, date))?.status === 'discrepancy');
  await resolveDiscrepancy(h.ctx, WORLD.bank, date, { accept: true }, 'auditor-test');
  await settleDay(h, WORLD.bank, date);
  // Every workflow of the day closed and visible (visibility is eventually consistent).
  const query = `${buildVisibilityQuery({ bank: WORLD.bank, date })} AND ExecutionStatus != 'Running'`;
  await waitFor('visibility', async () => (await h.client.workflow.count(query)).count === DAY_WORKFLOWS);
});

afterAll(async () => {
  await h?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function readManifest(dir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
}

describe('exporting histories', () => {
  it('writes one JSON history per run under its kind, with a manifest of ids, types, statuses and SHA-256', async () => {
    const out = path.join(tmp, 'export');
    const query = buildVisibilityQuery({ bank: WORLD.bank, date });
    const manifest = await exportHistories(h.client, { outDir: out, query, runs: [{ workflowId: `payment:HSBK:${refs.rejected}` }] });
    expect(manifest).toMatchObject({ formatVersion: 1, namespace: 'default', query, count: DAY_WORKFLOWS + 1 });
    expect(readManifest(out)).toEqual(manifest);
    const summary = manifest.workflows.map((w) => [w.type, w.workflowId, w.status]).sort();
    expect(summary).toEqual([
      ['paymentWorkflow', `payment:HSBK:${refs.a}`, 'COMPLETED'],
      ['paymentWorkflow', `payment:HSBK:${refs.b}`, 'COMPLETED'],
      ['paymentWorkflow', `payment:HSBK:${refs.rejected}`, 'FAILED'],
      ['registerWorkflow', registerWorkflowId, 'COMPLETED'],
      ['settlementWorkflow', `settlement:HSBK:${date}`, 'COMPLETED'],
    ].sort());
    for (const w of manifest.workflows) {
      const text = fs.readFileSync(path.join(out, w.file), 'utf8');
      expect({ file: w.file, sha256: sha256Hex(text) }).toEqual({ file: w.file, sha256: w.sha256 });
      expect(w.file).toMatch(/^(payment|register|settlement)\/[A-Za-z0-9._-]+__[0-9a-f-]{36}\.json$/);
      expect(w.closeTime).not.toBeNull();
      expect(historyFromJson(JSON.parse(text)).events).toHaveLength(w.events);
    }
  });

  it('writes the same bytes as `temporal workflow show --output json` (up to the order of map keys)', async () => {
    const out = path.join(tmp, 'one');
    const manifest = await exportHistories(h.client, { outDir: out, runs: [{ workflowId: `settlement:HSBK:${date}` }] });
    const entry = manifest.workflows[0];
    if (!entry) throw new Error('nothing exported');
    const cli = await findTemporalCli(loadConfig(), () => undefined);
    const shown = execFileSync(cli, ['workflow', 'show', '--address', testTemporalAddress(), '--namespace', 'default', '-w', entry.workflowId, '-r', entry.runId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const ours = JSON.parse(fs.readFileSync(path.join(out, entry.file), 'utf8'));
    expect(ours).toEqual(JSON.parse(shown));
    fs.writeFileSync(path.join(out, 'settlement', 'from-temporal-cli.json'), shown);
    const replayed = await replayHistories(historiesFromDir(out));
    expect(replayed.outcomes.map((o) => [path.basename(o.origin), o.verdict])).toEqual([
      ['from-temporal-cli.json', 'ok'],
      [path.basename(entry.file), 'ok'],
    ]);
  });

  it('replays an export against the current code, and reports an altered file and a missing one without replaying them', async () => {
    const out = path.join(tmp, 'export');
    const manifest = readManifest(out);
    expect((await replayHistories(historiesFromDir(out))).outcomes.map((o) => o.verdict)).toEqual(manifest.workflows.map(() => 'ok'));

    const [first, second] = manifest.workflows;
    if (!first || !second) throw new Error('export too small');
    const altered = path.join(out, first.file);
    fs.writeFileSync(altered, fs.readFileSync(altered, 'utf8').replace('"eventId": "1"', '"eventId": "1" '));
    fs.rmSync(path.join(out, second.file));
    const summary = await replayHistories(historiesFromDir(out));
    expect(summary).toMatchObject({ total: manifest.count, ok: manifest.count - 2, nondeterministic: 0, failed: 2 });
    expect(summary.outcomes.filter((o) => o.verdict === 'failed').map((o) => [o.workflowId, o.message])).toEqual([
      [first.workflowId, `SHA-256 differs from ${MANIFEST_FILE}: the file changed after the export`],
      [second.workflowId, `listed in ${MANIFEST_FILE} but missing`],
    ]);
  });

  it('spc audit export and spc audit replay (from files and from Temporal) agree with the library', async () => {
    const env = harnessEnv(h);
    const out = path.join(tmp, 'cli');
    const exported = await runSpc(['audit', 'export', '--bank', 'HSBK', '--date', date, '--out', out, '--json'], env);
    expect({ code: exported.code, stderr: exported.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(exported.stdout)).toMatchObject({ count: DAY_WORKFLOWS, query: `WorkflowType IN ('paymentWorkflow', 'settlementWorkflow', 'registerWorkflow') AND BankCode = 'HSBK' AND BusinessDate = '${date}'` });

    const fromFiles = await runSpc(['audit', 'replay', '--dir', out], env);
    expect({ code: fromFiles.code, stderr: fromFiles.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fromFiles.stdout).toContain(`replayed ${DAY_WORKFLOWS}: ${DAY_WORKFLOWS} ok, 0 nondeterministic, 0 failed`);

    const fromTemporal = await runSpc(['audit', 'replay', '--bank', 'HSBK', '--date', date, '--workflow-id', `payment:HSBK:${refs.rejected}`], env);
    expect({ code: fromTemporal.code, stderr: fromTemporal.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fromTemporal.stdout).toContain(`replayed ${DAY_WORKFLOWS + 1}: ${DAY_WORKFLOWS + 1} ok`);
    expect(fromTemporal.stdout).toMatch(new RegExp(`^ok\\s+paymentWorkflow\\s+payment:HSBK:${refs.rejected} `, 'm'));

    const missing = await runSpc(['audit', 'replay', '--workflow-id', `payment:HSBK:never-${tag}`], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('no such workflow in Temporal');
  });
});

describe('archiving a bank-day', () => {
  it('refuses a bank-day that is not closed yet', async () => {
    await expect(archiveBankDay(h.client, h.database.db, WORLD.otherBank, date, tmp)).rejects.toThrow(`bank-day CASP ${date} is not closed yet: archive it after its settlement closes it`);
  });

  it('exports every workflow of a closed bank-day into <dir>/<BANK>/<DATE> with its manifest, and the archive replays', async () => {
    const root = path.join(tmp, 'archive');
    let progress = 0;
    const result = await archiveBankDay(h.client, h.database.db, WORLD.bank, date, root, { onProgress: (n) => (progress = n) });
    expect(result.dir).toBe(path.join(root, 'HSBK', date));
    expect(result.manifest.count).toBe(DAY_WORKFLOWS);
    expect(progress).toBe(DAY_WORKFLOWS);
    expect(result.manifest.workflows.map((w) => w.type).sort()).toEqual(['paymentWorkflow', 'paymentWorkflow', 'registerWorkflow', 'settlementWorkflow']);
    expect(fs.existsSync(path.join(result.dir, MANIFEST_FILE))).toBe(true);
    const summary = await replayHistories(historiesFromDir(result.dir));
    expect({ ok: summary.ok, total: summary.total }).toEqual({ ok: DAY_WORKFLOWS, total: DAY_WORKFLOWS });
    // Idempotent: archiving again writes the same files.
    const again = await archiveBankDay(h.client, h.database.db, WORLD.bank, date, root);
    expect(again.manifest.workflows.map((w) => w.sha256)).toEqual(result.manifest.workflows.map((w) => w.sha256));
  });

  it('runs as an activity for the settlement workflow: heartbeats per history, refuses an open day without retries', async () => {
    const root = path.join(tmp, 'activity');
    const { archiveBankDayActivity } = createArchiveActivities({ db: h.database.db, temporal: { client: h.client, taskQueue: h.taskQueue } }, root);
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    expect(await env.run(archiveBankDayActivity, { bankCode: WORLD.bank, businessDate: date })).toEqual({ dir: path.join(root, 'HSBK', date), workflows: DAY_WORKFLOWS });
    expect(beats).toEqual([1, 2, 3, 4]);
    // A refusal is expected here: the SDK's "Activity failed" warning would only be noise.
    const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    await expect(new MockActivityEnvironment(undefined, { logger: quiet }).run(archiveBankDayActivity, { bankCode: WORLD.otherBank, businessDate: date })).rejects.toMatchObject({
      name: 'ApplicationFailure', type: 'ARCHIVE_REFUSED', nonRetryable: true,
    });
  });
});
