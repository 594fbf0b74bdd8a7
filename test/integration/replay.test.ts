// Replay of the committed histories in test/histories/<type>/ against the current workflow code:
// a change that would break workflows already running (or make past decisions impossible to
// re-derive) fails here before it is deployed. Also: a patched() change keeps an old history
// replayable while the same change without it does not, and `spc audit replay` catches a careless
// change to the payment workflow.
//
// Recording (run when a workflow changes on purpose, with patched() or for new histories):
//   SPC_RECORD_HISTORIES=1 npx jest test/integration/replay.test.ts --selectProjects integration
// runs the real workflows on the test server and rewrites the files under test/histories.
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { cancelPayment } from '../../client/payments';
import { confirmTransfers, getSettlementState, resolveDiscrepancy, startSettlement } from '../../client/settlements';
import { submitRegister } from '../../client/registers';
import { parseRegisterCsv } from '../../domain/register-csv';
import { bundleWorkflows, historiesFromDir, historyToJson, replayHistories, type HistorySource, type ReplaySummary } from '../../audit';
import { makeKzIban } from '../../domain/identifiers';
import { loadConfig } from '../../infra/config';
import { findTemporalCli } from '../../infra/temporal-binary';
import { settlementTriggerWorkflow } from '../../workflows';
import { installWorkerRuntime } from '../../worker/run';
import { startHarness, type Harness } from '../support/harness';
import { testTemporalAddress } from '../support/env';
import { WORLD, createPaymentWorld, validBin } from '../support/payment-world';
import { auditWeekday, runSpc, uniqueTag, waitFor } from './audit-helpers';

jest.setTimeout(600_000);

const HISTORIES = path.resolve(__dirname, '../histories');
const TEST_WORKFLOWS = path.resolve(__dirname, '../workflows');
/** Every workflow type the SPC worker runs, and the folder its histories are committed in. */
const SPC_KINDS: Record<string, string> = {
  payment: 'paymentWorkflow',
  cancellation: 'cancellationWorkflow',
  settlement: 'settlementWorkflow',
  register: 'registerWorkflow',
  'settlement-trigger': 'settlementTriggerWorkflow',
  // Recorded by corrections.test.ts and complaints.test.ts (test/support/histories.ts) with SPC_RECORD_HISTORIES=1.
  correction: 'correctionWorkflow',
  complaint: 'complaintWorkflow',
  // Recorded by period-close.test.ts with SPC_RECORD_HISTORIES=1.
  period: 'periodCloseWorkflow',
  'period-trigger': 'periodTriggerWorkflow',
  // Recorded by mail-delivery.test.ts (lanes) and, before the lanes, by the same test on the code before patch 'mail-delivery-lanes'.
  'mail-delivery': 'mailDeliveryWorkflow',
  // Recorded by provider-webhook.test.ts (files inline, and the settlement that built and pushed the
  // registers, and the transfer check), provider-register-notice.test.ts (a notice) and
  // provider-charges.test.ts, with SPC_RECORD_HISTORIES=1; period/close-rejected by period-close.test.ts.
  'provider-register-push': 'providerRegisterPushWorkflow',
  'transfer-check': 'transferCheckWorkflow',
  'charge-upload': 'chargeUploadWorkflow',
  // Recorded by print-run.test.ts (a run, and one resumed after its worker was killed): before patch
  // 'print-run-cursor-by-file' on the code before it, the others after.
  'print-run': 'printRunWorkflow',
};
const RECORDING = process.env.SPC_RECORD_HISTORIES === '1';
/** Records only the histories of shapes added since the first recording, leaving the old ones as production left them. */
const RECORDING_NEW = process.env.SPC_RECORD_NEW_HISTORIES === '1';

function spcHistories(): HistorySource[] {
  return Object.keys(SPC_KINDS).flatMap((kind) => historiesFromDir(path.join(HISTORIES, kind)));
}

const verdicts = (s: ReplaySummary) => Object.fromEntries(s.outcomes.map((o) => [path.relative(HISTORIES, o.origin), o.verdict]));

(RECORDING ? describe : describe.skip)('recording the committed histories', () => {
  let h: Harness;
  let native: NativeConnection;
  const tag = uniqueTag();
  const date = auditWeekday(2020);

  async function save(kind: string, name: string, workflowId: string, runId?: string): Promise<void> {
    const history = await h.client.workflow.getHandle(workflowId, runId).fetchHistory();
    fs.mkdirSync(path.join(HISTORIES, kind), { recursive: true });
    fs.writeFileSync(path.join(HISTORIES, kind, `${name}.json`), `${historyToJson(history)}\n`);
  }

  async function closed(workflowId: string): Promise<string> {
    return waitFor(`${workflowId} to close`, async () => {
      const d = await h.client.workflow.getHandle(workflowId).describe();
      return d.status.name !== 'RUNNING' ? d.runId : undefined;
    });
  }

  beforeAll(async () => {
    h = await startHarness('record');
    native = await NativeConnection.connect({ address: testTemporalAddress() });
    await createPaymentWorld(h.database.db);
  });
  afterAll(async () => {
    await native?.close();
    await h?.close();
  });

  it('records payments: accepted and closed, with a meter reading, rejected, cancelled; and one shown by the Temporal CLI', async () => {
    const paidAt = `${date}T10:00:00+05:00`;
    const base = { bankCode: WORLD.bank, channel: 'cash_desk' as const, account: WORLD.account, paidAt };
    const acceptedRef = `rec-${tag}-accepted`;
    expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: acceptedRef, amount: '450.00' })).toMatchObject({ ok: true });
    await save('payment', 'accepted-closed', `payment:HSBK:${acceptedRef}`, await closed(`payment:HSBK:${acceptedRef}`));

    const readingRef = `rec-${tag}-reading`;
    expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: readingRef, amount: '3000.00', lines: [{ service: 'ELEC', amount: '3000.00' }], readings: [{ service: 'ELEC', value: '1620.5' }] })).toMatchObject({ ok: true });
    await save('payment', 'accepted-with-reading', `payment:HSBK:${readingRef}`, await closed(`payment:HSBK:${readingRef}`));

    const rejectedRef = `rec-${tag}-rejected`;
    expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: rejectedRef, account: '9999999999', amount: '100.00' })).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_FOUND' });
    await save('payment', 'rejected-unknown-account', `payment:HSBK:${rejectedRef}`, await closed(`payment:HSBK:${rejectedRef}`));

    // Paid now, so its bank-day is still open and the bank may cancel it.
    const cancelRef = `rec-${tag}-cancelled`;
    expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: cancelRef, amount: '300.00', paidAt: undefined, channel: 'online' })).toMatchObject({ ok: true });
    expect(await cancelPayment(h.ctx, WORLD.bank, cancelRef, 'payer changed their mind')).toMatchObject({ ok: true });
    await save('payment', 'cancelled', `payment:HSBK:${cancelRef}`, await closed(`payment:HSBK:${cancelRef}`));

    const cli = await findTemporalCli(loadConfig(), () => undefined);
    const shown = execFileSync(cli, ['workflow', 'show', '--address', testTemporalAddress(), '--namespace', 'default', '-w', `payment:HSBK:${acceptedRef}`, '--output', 'json'], { encoding: 'utf8' });
    fs.writeFileSync(path.join(HISTORIES, 'payment', 'accepted-closed.temporal-cli.json'), shown.endsWith('\n') ? shown : `${shown}\n`);
  });

  it('records a register with one rejected row, and the settlement of its day through discrepancy, decision and confirmation', async () => {
    const csv = [
      `#register;business_date=${date};count=2;total=550.00`,
      'bank_ref;account;amount;paid_at',
      `rec-${tag}-reg-1;${WORLD.account};450.00;${date}T09:30:00+05:00`,
      `rec-${tag}-reg-2;9999999999;100.00;${date}T09:31:00+05:00`,
      '',
    ].join('\n');
    const parsed = parseRegisterCsv(csv);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const { register } = await submitRegister(h.ctx, WORLD.bank, createHash('sha256').update(csv).digest('hex'), parsed.header, parsed.rows);
    await save('register', 'one-row-rejected', register.workflowId, await closed(register.workflowId));

    const started = await startSettlement(h.ctx, WORLD.bank, date, { operator: 'recorder' });
    await waitFor('discrepancy', async () => (await getSettlementState(h.ctx, WORLD.bank, date))?.status === 'discrepancy');
    await resolveDiscrepancy(h.ctx, WORLD.bank, date, { accept: true }, 'recorder');
    await waitFor('delivered', async () => (await getSettlementState(h.ctx, WORLD.bank, date))?.status === 'delivered');
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { lines: [{ lineNo: 1, transferRef: 'REC-1' }] })).toMatchObject({ ok: true });
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { transferRef: 'REC-REST' })).toMatchObject({ ok: true, state: { status: 'settled' } });
    await save('settlement', 'discrepancy-accepted-confirmed-settled', started.workflowId, await closed(started.workflowId));
  });

  it('records the settlement schedule\'s trigger', async () => {
    // A bank whose cut-off (00:00) has always passed: the trigger does not sleep.
    await h.database.db('banks').insert({
      code: 'RECD', name: 'Recording Bank', bic: 'RECDKZKA', iban_code: '999', bin: validBin('94014000009'), settlement_iban: makeKzIban('999', '9000000000009'), cutoff_local: '00:00',
    });
    const triggerId = `record-trigger-${tag}`;
    const result = await h.client.workflow.execute(settlementTriggerWorkflow, { workflowId: triggerId, taskQueue: h.taskQueue, args: [{ bankCode: 'RECD' }] });
    await save('settlement-trigger', `trigger-${result.outcome.replace(/_/g, '-')}`, triggerId);
    if (result.workflowId) {
      const runId = await closed(result.workflowId);
      await save('settlement', 'started-by-trigger-nothing-to-settle', result.workflowId, runId);
    }
  });

  it('records the test-only patch demo: a v1 history (before the patch) and a v2 one (after)', async () => {
    for (const version of ['v1', 'v2'] as const) {
      const taskQueue = `patch-demo-${version}-${tag}`;
      const worker = await Worker.create({
        connection: native, namespace: 'default', taskQueue,
        workflowBundle: await bundleWorkflows(path.join(TEST_WORKFLOWS, `patch-demo-${version}.ts`)),
      });
      const workflowId = `patch-demo-${version}-${tag}`;
      await worker.runUntil(h.client.workflow.execute('patchDemoWorkflow', { workflowId, taskQueue, args: ['auditor'] }));
      await save('patched', `patch-demo-${version}`, workflowId);
    }
  });
});

(RECORDING_NEW ? describe : describe.skip)('recording the histories of the bulk-register and complete-on-post shapes', () => {
  let h: Harness;
  const tag = uniqueTag();
  const date = auditWeekday(2021);

  async function save(kind: string, name: string, workflowId: string): Promise<void> {
    const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
    fs.mkdirSync(path.join(HISTORIES, kind), { recursive: true });
    fs.writeFileSync(path.join(HISTORIES, kind, `${name}.json`), `${historyToJson(history)}\n`);
  }

  beforeAll(async () => {
    h = await startHarness('record-new');
    await createPaymentWorld(h.database.db);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('records a payment that completes once posted, a rejected one, and a cancellation workflow', async () => {
    const base = { bankCode: WORLD.bank, channel: 'cash_desk' as const, account: WORLD.account };
    const acceptedRef = `rec2-${tag}-accepted`;
    expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: acceptedRef, amount: '450.00', paidAt: `${date}T10:00:00+05:00` })).toMatchObject({ ok: true });
    await h.client.workflow.getHandle(`payment:HSBK:${acceptedRef}`).result();
    await save('payment', 'accepted-completes-on-post', `payment:HSBK:${acceptedRef}`);

    const rejectedRef = `rec2-${tag}-rejected`;
    expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: rejectedRef, account: '9999999999', amount: '100.00' })).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_FOUND' });
    await save('payment', 'rejected-completes-on-post', `payment:HSBK:${rejectedRef}`);

    const cancelRef = `rec2-${tag}-cancelled`;
    expect(await submitPaymentAsOfPaidAt(h.ctx, { ...base, bankRef: cancelRef, amount: '300.00', channel: 'online' })).toMatchObject({ ok: true });
    expect(await cancelPayment(h.ctx, WORLD.bank, cancelRef, 'payer changed their mind')).toMatchObject({ ok: true });
    await save('cancellation', 'cancelled', `cancellation:HSBK:${cancelRef}`);
    expect(await cancelPayment(h.ctx, WORLD.bank, `rec2-${tag}-ghost`)).toMatchObject({ ok: false, code: 'PAYMENT_NOT_FOUND' });
    await save('cancellation', 'refused-not-found', `cancellation:HSBK:rec2-${tag}-ghost`);
  });

  it('records a register posted in bulk, with one rejected row', async () => {
    const csv = [
      `#register;business_date=${date};count=2;total=550.00`,
      'bank_ref;account;amount;paid_at',
      `rec2-${tag}-reg-1;${WORLD.account};450.00;${date}T09:30:00+05:00`,
      `rec2-${tag}-reg-2;9999999999;100.00;${date}T09:31:00+05:00`,
      '',
    ].join('\n');
    const parsed = parseRegisterCsv(csv);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const { register } = await submitRegister(h.ctx, WORLD.bank, createHash('sha256').update(csv).digest('hex'), parsed.header, parsed.rows);
    await h.client.workflow.getHandle(register.workflowId).result();
    await save('register', 'bulk-one-row-rejected', register.workflowId);
  });
});

describe('replay of the committed histories', () => {
  // Nondeterminism is the expected outcome of some cases here: keep the SDK's logs to errors.
  beforeAll(() => installWorkerRuntime('ERROR'));
  const bundles = new Map<string, Promise<WorkflowBundleOption>>();
  const patchBundle = (name: string) => {
    if (!bundles.has(name)) bundles.set(name, bundleWorkflows(path.join(TEST_WORKFLOWS, `${name}.ts`)));
    return bundles.get(name) as Promise<WorkflowBundleOption>;
  };

  it('has histories of every workflow type the worker runs', () => {
    const types = new Set(spcHistories().map((s) => s.type));
    expect([...types].sort()).toEqual(Object.values(SPC_KINDS).sort());
    for (const kind of Object.keys(SPC_KINDS)) {
      for (const s of historiesFromDir(path.join(HISTORIES, kind))) expect({ file: path.basename(s.origin), type: s.type, problem: s.problem }).toEqual({ file: path.basename(s.origin), type: SPC_KINDS[kind], problem: undefined });
    }
  });

  it('replays every one of them against the current workflow code, the Temporal CLI\'s export included', async () => {
    const summary = await replayHistories(spcHistories());
    expect(summary.outcomes.filter((o) => o.verdict !== 'ok')).toEqual([]);
    expect(summary.ok).toBe(summary.total);
    expect(summary.total).toBeGreaterThanOrEqual(Object.keys(SPC_KINDS).length + 1);
    expect(Object.keys(verdicts(summary))).toContain('payment/accepted-closed.temporal-cli.json');
  });

  it('keeps a history recorded before a patched() change replayable, and catches the same change without patched()', async () => {
    const v1 = historiesFromDir(path.join(HISTORIES, 'patched')).filter((s) => s.origin.endsWith('patch-demo-v1.json'));
    const v2 = historiesFromDir(path.join(HISTORIES, 'patched')).filter((s) => s.origin.endsWith('patch-demo-v2.json'));
    expect(v1).toHaveLength(1);
    expect(v2).toHaveLength(1);
    expect((await replayHistories([...v1, ...v2], { bundle: await patchBundle('patch-demo-v2') })).outcomes.map((o) => o.verdict)).toEqual(['ok', 'ok']);
    const unpatched = await replayHistories(v1, { bundle: await patchBundle('patch-demo-unpatched') });
    expect(unpatched.outcomes).toEqual([expect.objectContaining({ verdict: 'nondeterministic', message: expect.stringMatching(/nondeterminism/i) })]);
    // Rolling back to v1 while v2 runs are open would break them too: the marker has no code path in v1.
    expect((await replayHistories(v2, { bundle: await patchBundle('patch-demo-v1') })).outcomes.map((o) => o.verdict)).toEqual(['nondeterministic']);
  });

  it('spc audit replay passes the committed payment histories and exits 1 on a careless change to the payment workflow', async () => {
    const dir = path.join(HISTORIES, 'payment');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length;
    const ok = await runSpc(['audit', 'replay', '--dir', dir], {});
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ok.stdout).toContain(`replayed ${files}: ${files} ok, 0 nondeterministic, 0 failed`);

    const broken = await runSpc(['audit', 'replay', '--dir', dir, '--workflows', path.join(TEST_WORKFLOWS, 'payment-changed.ts')], {});
    expect(broken.code).toBe(1);
    // The rejected payment fails in its first task too, so every one of them is caught.
    expect(broken.stdout).toContain(`replayed ${files}: 0 ok, ${files} nondeterministic, 0 failed`);
    expect(broken.stdout.split('\n').filter((l) => l.startsWith('NONDETERMINISTIC'))).toHaveLength(files);
  });
});
