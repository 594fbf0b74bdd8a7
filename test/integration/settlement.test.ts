// The daily settlement on the real Temporal dev server and real Postgres: close, reconcile,
// aggregate, payment list, webhook, confirmation, ledger transfer, and the per-bank schedule.
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  SettlementActionError, confirmTransfers, getSettlementState, resolveDiscrepancy, startSettlement, type SettlementState,
} from '../../client/settlements';
import { createPaymentActivities } from '../../activities/payment';
import { makeDeps } from '../../activities/deps';
import { regenerateSettlementFiles, sha256Hex } from '../../activities/settlement-files';
import { settlementConfigFromEnv } from '../../infra/config';
import { addBusinessDays, nextBusinessDay, NO_OVERRIDES, toAlmaty } from '../../domain/calendar';
import type { PaymentRequest } from '../../domain/payment-types';
import { describeSchedules, ensureSchedules, settlementScheduleId } from '../../infra/schedules';
import { startHarness, type Harness } from '../support/harness';
import { weekdaysFrom } from '../support/past-days';
import { WORLD, createPaymentWorld, ledgerBreaches, validBin } from '../support/payment-world';
import { validateWithXsd } from '../support/xmllint';
import { waitFor as waitForShared } from '../support/wait';
import { makeKzIban } from '../../domain/identifiers';
import { rotateWebhookSecret, setBankWebhook } from '../../db/webhook-secrets';
import { verifyWebhookSignature } from '../../domain/webhook-signature';

// jest 29 ignores testTimeout inside a `projects` entry; the machine is shared, so be generous.
jest.setTimeout(240_000);

const WAIT_MS = 120_000;
const POLL_MS = 200;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = WAIT_MS) => waitForShared(what, probe, timeoutMs, POLL_MS);

let h: Harness;
let seq = 0;
/** The scenarios settle past days, whose real confirmation deadline is long gone: give the bank ten minutes. */
const inTime = { confirmDeadlineMs: 600_000 };
const ref = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;

/** Distinct past weekdays for the scenarios, random per run: settlement ids are shared by every test file on the dev server. */
const pastWeekday = weekdaysFrom('2025-02-03', 300);


const stateOf = (bank: string, date: string) => getSettlementState(h.ctx, bank, date);
const waitForStatus = (bank: string, date: string, status: SettlementState['status']) =>
  waitFor(`settlement ${bank}:${date} ${status}`, async () => {
    const s = await stateOf(bank, date);
    return s?.status === status ? s : undefined;
  });

async function pay(date: string, overrides: Partial<PaymentRequest> = {}) {
  const outcome = await submitPaymentAsOfPaidAt(h.ctx, {
    bankCode: WORLD.bank, bankRef: ref('p'), channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${date}T12:00:00+05:00`, ...overrides,
  });
  return outcome;
}

async function accepted(date: string, overrides: Partial<PaymentRequest> = {}) {
  const outcome = await pay(date, overrides);
  if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
  return outcome.payment;
}

/** Per provider: what the day's payment and reversal postings leave owed (credit - debit), in the ledger. */
async function ledgerOwedByProvider(bank: string, date: string): Promise<Record<string, string>> {
  const { rows } = await h.database.db.raw(
    `SELECT p.account, sum(p.credit - p.debit) AS owed
       FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id JOIN payments pm ON pm.id = t.payment_id
      WHERE pm.bank_code = ? AND pm.business_date = ? AND t.kind IN ('payment', 'reversal') AND p.account LIKE 'provider:%'
      GROUP BY p.account ORDER BY p.account`,
    [bank, date],
  );
  return Object.fromEntries(rows.map((r: { account: string; owed: string }) => [r.account.replace('provider:', ''), r.owed]));
}

beforeAll(async () => {
  h = await startHarness('settle');
  await createPaymentWorld(h.database.db);
});

afterAll(async () => {
  await h?.close();
});

describe('settlement of a bank-day', () => {
  it('settles a day of accepted, rejected and cancelled payments to per-provider sums equal to posted minus reversed', async () => {
    const date = pastWeekday();
    const db = h.database.db;
    const p1 = await accepted(date, { amount: '450.00' }); // AES 300.00, ALMATY_SU 150.00
    const p2 = await accepted(date, { amount: '900.00' }); // AES 600.00, ALMATY_SU 300.00
    await accepted(date, { amount: '1000.00', lines: [{ service: 'ELEC', amount: '1000.00' }] }); // AES 1000.00
    const rejected = await pay(date, { account: '9999999999' });
    expect(rejected.ok).toBe(false);
    const doomed = await accepted(date, { amount: '300.00' }); // AES 200.00, ALMATY_SU 100.00, then cancelled
    await accepted(date, { bankCode: WORLD.otherBank, amount: '450.00' }); // another bank: not in this settlement
    // The bank cancelled it during the day: the activity's clock stands before that day's cut-off.
    const paymentActivities = createPaymentActivities(makeDeps(db, { clock: () => new Date(`${date}T12:00:00+05:00`) }));
    const cancelled = await paymentActivities.cancelPayment({ bankCode: WORLD.bank, bankRef: doomed.bankRef, reason: 'test', writtenBy: { workflowId: 'test', runId: 'test' } });
    expect(cancelled).toMatchObject({ status: 'cancelled' });

    const started = await startSettlement(h.ctx, WORLD.bank, date, { operator: 'tester', options: inTime });
    expect(started).toMatchObject({ workflowId: `settlement:HSBK:${date}`, alreadyStarted: false });
    const again = await startSettlement(h.ctx, WORLD.bank, date, { operator: 'tester' });
    expect(again).toEqual({ ...started, alreadyStarted: true });

    const state = await waitForStatus(WORLD.bank, date, 'delivered');
    const ymd = date.replace(/-/g, '');
    expect(state.lines.map(({ lineNo, providerId, amount, paymentCount, endToEndId }) => ({ lineNo, providerId, amount, paymentCount, endToEndId }))).toEqual([
      { lineNo: 1, providerId: 'AES', amount: '1900.00', paymentCount: 3, endToEndId: `HSBK${ymd}-001` },
      { lineNo: 2, providerId: 'ALMATY_SU', amount: '450.00', paymentCount: 2, endToEndId: `HSBK${ymd}-002` },
    ]);
    expect(state.counts).toEqual({ payments: 4, reversals: 1, accepted: 3, lines: 2, confirmedLines: 0 });
    expect(state.totals).toEqual({ payments: '2650.00', reversals: '300.00', net: '2350.00', confirmed: '0.00' });
    expect(await ledgerOwedByProvider(WORLD.bank, date)).toEqual({ AES: '1900.00', ALMATY_SU: '450.00' });
    const row = await db('settlements').where({ id: `HSBK:${date}` }).first();
    expect(row).toMatchObject({ status: 'delivered', payment_count: 4, payments_total: '2650.00', reversal_count: 1, reversals_total: '300.00', net_total: '2350.00' });
    expect(row.execution_date > date).toBe(true);
    // Due three business days after the list was delivered (today), not after the business date.
    expect(row.confirm_due_date).toBe(addBusinessDays(toAlmaty(row.delivered_at).date, 3, NO_OVERRIDES));
    expect(state.dates.confirmDueDate).toBe(row.confirm_due_date);

    // The payment list: XML valid against the pain.001.001.09 schema, hashes as stored, identical when regenerated.
    const files = await db('settlement_files').where({ settlement_id: `HSBK:${date}` }).orderBy('format').select('format', 'content', 'sha256');
    expect(files.map((f) => f.format)).toEqual(['csv', 'pain001']);
    for (const f of files) expect(sha256Hex(f.content)).toBe(f.sha256);
    const xml = (files.find((f) => f.format === 'pain001')?.content as Buffer).toString('utf8');
    expect(validateWithXsd(xml)).toEqual({ ok: true, output: 'message.xml validates' });
    expect(xml).toContain('<CtrlSum>2350.00</CtrlSum>');
    expect(xml).toContain(`<EndToEndId>HSBK${ymd}-001</EndToEndId>`);
    const regenerated = await regenerateSettlementFiles(db, `HSBK:${date}`, settlementConfigFromEnv());
    expect(regenerated?.map((f) => [f.format, f.sha256]).sort()).toEqual(files.map((f) => [f.format, f.sha256]));
    expect(regenerated?.find((f) => f.format === 'pain001')?.content.equals(files.find((f) => f.format === 'pain001')?.content)).toBe(true);
    expect(state.files.map((f) => f.sha256).sort()).toEqual(files.map((f) => f.sha256).sort());

    // The day is closed: a payment accepted that day lands in the next business day; cancellations are refused.
    const late = await accepted(date, { amount: '450.00' });
    expect(late.businessDate).toBe(nextBusinessDay(date, NO_OVERRIDES));
    const refused = await paymentActivities.cancelPayment({ bankCode: WORLD.bank, bankRef: p1.bankRef, reason: 'too late', writtenBy: { workflowId: 'test', runId: 'test' } });
    expect(refused).toMatchObject({ status: 'rejected', code: 'BANK_DAY_CLOSED' });

    // Nothing to decide; an unknown line is refused; then per line, then the rest at once.
    await expect(resolveDiscrepancy(h.ctx, WORLD.bank, date, { accept: true }, 'ops')).rejects.toMatchObject({ code: 'NOT_AWAITING_DECISION' });
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { lines: [{ lineNo: 7, transferRef: 'TR-7' }] })).toMatchObject({ ok: false, code: 'UNKNOWN_LINE' });
    const partly = await confirmTransfers(h.ctx, WORLD.bank, date, { lines: [{ lineNo: 1, transferRef: 'TR-1' }] });
    if (!partly.ok) throw new Error(partly.message);
    expect(partly.state.status).toBe('delivered');
    expect(partly.state.counts.confirmedLines).toBe(1);
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { lines: [{ lineNo: 1, transferRef: 'TR-OTHER' }] })).toMatchObject({ ok: false, code: 'LINE_ALREADY_CONFIRMED' });
    const all = await confirmTransfers(h.ctx, WORLD.bank, date, { transferRef: 'TR-REST' });
    if (!all.ok) throw new Error(all.message);
    expect(all.state.status).toBe('settled');
    expect(all.state.lines.map((l) => l.transferRef)).toEqual(['TR-1', 'TR-REST']);
    expect(all.state.totals.confirmed).toBe('2350.00');

    // The ledger transfer: debit each provider, credit the bank; what the day owed is paid out.
    const transfer = await db('ledger_postings as p')
      .join('ledger_transactions as t', 't.id', 'p.transaction_id')
      .where({ 't.settlement_id': `HSBK:${date}`, 't.kind': 'transfer' })
      .orderBy('p.account')
      .select('p.account', 'p.debit', 'p.credit');
    expect(transfer).toEqual([
      { account: 'bank:HSBK', debit: '0.00', credit: '2350.00' },
      { account: 'provider:AES', debit: '1900.00', credit: '0.00' },
      { account: 'provider:ALMATY_SU', debit: '450.00', credit: '0.00' },
    ]);
    expect(await ledgerBreaches(db)).toEqual([]);
    expect((await db('settlements').where({ id: `HSBK:${date}` }).first()).status).toBe('settled');
    expect((await db('payments').where({ bank_ref: p2.bankRef }).first()).status).toBe('accepted'); // 'settled' is derived

    const described = await h.client.workflow.getHandle(started.workflowId).describe();
    expect(described.status.name).toBe('COMPLETED');
    const attrs = Object.fromEntries(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    expect(attrs).toMatchObject({ BankCode: 'HSBK', BusinessDate: date, SettlementStatus: 'settled' });
    // After the end: a repeated confirmation is answered as before, a different one is refused.
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { transferRef: 'TR-REST' })).toMatchObject({ ok: true, state: { status: 'settled' } });
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { lines: [{ lineNo: 1, transferRef: 'TR-1' }] })).toMatchObject({ ok: true });
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { transferRef: 'TR-NEW' })).toMatchObject({ ok: false, code: 'ALREADY_SETTLED' });
  });

  it('puts every payment racing the close in exactly one settlement', async () => {
    const date = pastWeekday();
    const db = h.database.db;
    await accepted(date, { amount: '450.00' });
    const racing = Array.from({ length: 20 }, () => pay(date, { amount: '900.00' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await startSettlement(h.ctx, WORLD.bank, date, { operator: 'tester', options: inTime });
    const outcomes = await Promise.all(racing);
    const state = await waitForStatus(WORLD.bank, date, 'delivered');
    const inDay = outcomes.filter((o) => o.ok && o.payment.businessDate === date).length;
    const moved = outcomes.filter((o) => o.ok && o.payment.businessDate === nextBusinessDay(date, NO_OVERRIDES)).length;
    expect(inDay + moved).toBe(20);
    expect(state.counts.accepted).toBe(1 + inDay);
    const { rows } = await db.raw(`SELECT count(*)::int AS n, sum(amount) AS total FROM payments WHERE bank_code = 'HSBK' AND business_date = ? AND status = 'accepted'`, [date]);
    expect(rows[0].n).toBe(1 + inDay);
    expect(state.totals.net).toBe(rows[0].total);
    const settled = await confirmTransfers(h.ctx, WORLD.bank, date, {});
    expect(settled).toMatchObject({ ok: true, state: { status: 'settled' } });
  });

  it('counts the confirmation deadline from delivery: a list delivered late is not overdue on arrival', async () => {
    const date = pastWeekday();
    await accepted(date, { amount: '450.00' });
    // No test deadline: the real one, which counted from a business date in 2025 was long gone.
    await startSettlement(h.ctx, WORLD.bank, date, { operator: 'tester' });
    const delivered = await waitForStatus(WORLD.bank, date, 'delivered');
    expect(delivered.dates.confirmDueDate! >= toAlmaty(new Date()).date).toBe(true);
    expect(Date.parse(delivered.dates.confirmDeadlineAt!)).toBeGreaterThan(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await stateOf(WORLD.bank, date))?.status).toBe('delivered');
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, {})).toMatchObject({ ok: true, state: { status: 'settled' } });
  });

  it('waits in discrepancy with reminders, survives a worker restart and resumes on the operator\'s decision', async () => {
    const date = pastWeekday();
    const db = h.database.db;
    await accepted(date, { amount: '450.00' });
    const wrong = await accepted(date, { amount: '900.00' });
    const registerId = `REG-${ref('r')}`;
    await db('registers').insert({
      id: registerId, bank_code: WORLD.bank, business_date: date, file_sha256: randomBytes(32).toString('hex'),
      declared_count: 1, declared_total: '450.00', row_count: 1, rows_done: 1, rows_accepted: 1, status: 'done',
    });

    const started = await startSettlement(h.ctx, WORLD.bank, date, { operator: 'tester', options: { ...inTime, reminderIntervalMs: 500 } });
    const waiting = await waitForStatus(WORLD.bank, date, 'discrepancy');
    expect(waiting.register).toEqual({ registerIds: [registerId], declaredCount: 1, declaredTotal: '450.00' });
    expect(waiting.discrepancies).toEqual([
      { kind: 'payment_count', declared: '1', posted: '2', difference: '1' },
      { kind: 'payment_total', declared: '450.00', posted: '1350.00', difference: '900.00' },
    ]);
    expect((await db('settlements').where({ id: `HSBK:${date}` }).first()).status).toBe('discrepancy');
    // No list goes out before the decision.
    expect(await db('settlement_files').where({ settlement_id: `HSBK:${date}` })).toEqual([]);
    expect(await confirmTransfers(h.ctx, WORLD.bank, date, {})).toMatchObject({ ok: false, code: 'NOT_AWAITING_CONFIRMATION' });

    const reminded = await waitFor('two reminders', async () => {
      const s = await stateOf(WORLD.bank, date);
      return s && s.reminders >= 2 ? s : undefined;
    });
    expect(reminded.status).toBe('discrepancy');
    const described = await h.client.workflow.getHandle(started.workflowId).describe();
    expect(Number(described.memo?.discrepancyReminders)).toBeGreaterThanOrEqual(2);
    const attrs = Object.fromEntries(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    expect(attrs.SettlementStatus).toBe('discrepancy');

    await h.stopWorker();
    await h.startWorker();

    await expect(resolveDiscrepancy(h.ctx, WORLD.bank, date, { excludeRefs: ['no-such-ref'] }, 'ops')).rejects.toMatchObject({ name: 'SettlementActionError', code: 'UNKNOWN_PAYMENT' });
    await expect(resolveDiscrepancy(h.ctx, WORLD.bank, date, { accept: true }, '')).rejects.toBeInstanceOf(SettlementActionError);
    const decided = await resolveDiscrepancy(h.ctx, WORLD.bank, date, { excludeRefs: [wrong.bankRef] }, 'ops');
    expect(decided.resolution).toMatchObject({ decision: 'exclude', excludedRefs: [wrong.bankRef], operator: 'ops' });

    const delivered = await waitForStatus(WORLD.bank, date, 'delivered');
    expect(delivered.lines.map((l) => [l.providerId, l.amount])).toEqual([['AES', '300.00'], ['ALMATY_SU', '150.00']]);
    expect(delivered.totals).toMatchObject({ payments: '1350.00', reversals: '900.00', net: '450.00' });
    const excluded = await db('payments').where({ bank_ref: wrong.bankRef }).first();
    expect(excluded.status).toBe('excluded');
    const reversal = await db('ledger_transactions').where({ payment_id: excluded.id, kind: 'reversal' });
    expect(reversal).toHaveLength(1);
    expect(await ledgerOwedByProvider(WORLD.bank, date)).toEqual({ AES: '300.00', ALMATY_SU: '150.00' });
    expect((await db('settlements').where({ id: `HSBK:${date}` }).first()).excluded_refs).toEqual([wrong.bankRef]);

    expect(await confirmTransfers(h.ctx, WORLD.bank, date, { transferRef: 'TR-X' })).toMatchObject({ ok: true, state: { status: 'settled' } });
    expect(await ledgerBreaches(db)).toEqual([]);
  });

  it('accepts a discrepancy as posted', async () => {
    const date = pastWeekday();
    await accepted(date, { bankCode: WORLD.otherBank, amount: '450.00' });
    await h.database.db('registers').insert({
      id: `REG-${ref('a')}`, bank_code: WORLD.otherBank, business_date: date, file_sha256: randomBytes(32).toString('hex'),
      declared_count: 1, declared_total: '400.00', row_count: 1, status: 'done',
    });
    await startSettlement(h.ctx, WORLD.otherBank, date, { operator: 'tester', options: inTime });
    await waitForStatus(WORLD.otherBank, date, 'discrepancy');
    const decided = await resolveDiscrepancy(h.ctx, WORLD.otherBank, date, { accept: true }, 'ops');
    expect(decided.resolution).toMatchObject({ decision: 'accept', excludedRefs: [] });
    // The same decision again is the same update: answered, not refused.
    expect((await resolveDiscrepancy(h.ctx, WORLD.otherBank, date, { accept: true }, 'ops')).resolution?.decision).toBe('accept');
    // Confirmed the moment the list is in the database, while the workflow task that stored it may
    // still be running: the server may turn the update away once, and the client retries it.
    await waitFor('the stored list', async () => (await h.database.db('settlements').where({ id: `CASP:${date}` }).first('status'))?.status === 'delivered');
    const settled = await confirmTransfers(h.ctx, WORLD.otherBank, date, { transferRef: 'KASPI-1' });
    expect(settled).toMatchObject({ ok: true, state: { status: 'settled', totals: { net: '450.00', confirmed: '450.00' } } });
  });

  it('delivers the list once to a webhook that fails five times, goes overdue past the deadline and still settles', async () => {
    const date = pastWeekday();
    const db = h.database.db;
    const requests: Array<{ key: string | undefined; body: string; answered: number; verified: boolean }> = [];
    let secret = '';
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answered = requests.length < 5 ? 503 : 200;
        const body = Buffer.concat(chunks).toString('utf8');
        const verified = verifyWebhookSignature({ secret, timestamp: req.headers['x-spc-timestamp'] as string, signature: req.headers['x-spc-signature'] as string, body });
        requests.push({ key: req.headers['idempotency-key'] as string | undefined, body, answered, verified });
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'down for maintenance');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/spc/lists`;
      secret = (await rotateWebhookSecret(db, WORLD.otherBank)) as string;
      await setBankWebhook(db, WORLD.otherBank, url);
      await accepted(date, { bankCode: WORLD.otherBank, amount: '900.00' });

      await startSettlement(h.ctx, WORLD.otherBank, date, {
        operator: 'tester',
        options: { webhookRetry: { initialIntervalMs: 100, maximumIntervalMs: 300, backoffCoefficient: 1.5 }, confirmDeadlineMs: 1_500 },
      });
      const delivered = await waitFor('the webhook delivery', async () => {
        const s = await stateOf(WORLD.otherBank, date);
        return s?.webhook.status === 'delivered' ? s : undefined;
      });
      expect(delivered.webhook).toMatchObject({ status: 'delivered', url, attempts: 6 });
      expect(requests.map((r) => r.answered)).toEqual([503, 503, 503, 503, 503, 200]);
      // Every attempt is signed with the bank's secret (each with its own timestamp).
      expect(requests.map((r) => r.verified)).toEqual([true, true, true, true, true, true]);
      expect(new Set(requests.map((r) => r.key))).toEqual(new Set([`CASP:${date}`]));
      const body = JSON.parse(requests[5]?.body ?? '{}');
      expect(body).toMatchObject({ event: 'settlement.payment_list', settlementId: `CASP:${date}`, total: '900.00', paymentCount: 1, lineCount: 2 });
      const xml = Buffer.from(body.files.find((f: { format: string }) => f.format === 'pain001').contentBase64, 'base64');
      expect(sha256Hex(xml)).toBe(delivered.files.find((f) => f.format === 'pain001')?.sha256);
      const row = await db('webhook_deliveries').where({ settlement_id: `CASP:${date}` }).first();
      expect(row).toMatchObject({ url, attempts: 6, last_status: 200, last_error: null });
      expect(row.delivered_at).not.toBeNull();

      const overdue = await waitForStatus(WORLD.otherBank, date, 'overdue');
      expect(overdue.dates.overdueAt).toBeDefined();
      expect((await db('settlements').where({ id: `CASP:${date}` }).first()).status).toBe('overdue');
      expect(await confirmTransfers(h.ctx, WORLD.otherBank, date, { transferRef: 'LATE-1' })).toMatchObject({ ok: true, state: { status: 'settled' } });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(requests).toHaveLength(6);
    } finally {
      await db('banks').where({ code: WORLD.otherBank }).update({ webhook_url: null });
      server.close();
    }
  });

  it('refuses at send time a plain http:// webhook to another machine: recorded for the operator, not retried, and the day still settles', async () => {
    const date = pastWeekday();
    const db = h.database.db;
    const url = 'http://lists.bank.example/spc';
    // A row written before the URL rule existed (the constraint is NOT VALID: old rows stay as they were).
    await db.raw('ALTER TABLE banks DROP CONSTRAINT banks_webhook_url_secure');
    try {
      await db('banks').where({ code: WORLD.otherBank }).update({ webhook_url: url });
    } finally {
      await db.raw(`ALTER TABLE banks ADD CONSTRAINT banks_webhook_url_secure CHECK (
        webhook_url IS NULL OR webhook_url ~* '^https://[^/\\?#@]' OR webhook_url ~* '^http://(localhost|127(\\.[0-9]{1,3}){3}|\\[::1\\])(:[0-9]{1,5})\\?([/\\?#]|$)') NOT VALID`);
    }
    try {
      await accepted(date, { bankCode: WORLD.otherBank, amount: '450.00' });
      await startSettlement(h.ctx, WORLD.otherBank, date, { operator: 'tester', options: inTime });
      const refused = await waitFor('the webhook refusal', async () => {
        const s = await stateOf(WORLD.otherBank, date);
        return s?.webhook.status === 'refused' ? s : undefined;
      });
      expect(refused.webhook).toEqual({ status: 'refused', url, error: expect.stringMatching(/^refused: webhook URL plain http:\/\/ to lists\.bank\.example/) });
      const row = await db('webhook_deliveries').where({ settlement_id: `CASP:${date}` }).first();
      expect(row).toMatchObject({ url, attempts: 0, last_status: null, delivered_at: null, last_error: expect.stringMatching(/^refused: /) });
      expect(await confirmTransfers(h.ctx, WORLD.otherBank, date, { transferRef: 'NO-HOOK-1' })).toMatchObject({ ok: true, state: { status: 'settled', webhook: { status: 'refused' } } });
    } finally {
      await db('banks').where({ code: WORLD.otherBank }).update({ webhook_url: null });
    }
  });
});

describe('settlement schedules', () => {
  const prefix = `settlement-schedule-${randomBytes(3).toString('hex')}:`;
  // A bank of this test alone: its settlement id for today cannot meet another test file's.
  const bank = `Q${Array.from(randomBytes(3), (b) => String.fromCharCode(65 + (b % 26))).join('')}`;

  afterAll(async () => {
    for (const view of await describeSchedules(h.client, h.database.db, { idPrefix: prefix })) {
      if (view.exists) await h.client.schedule.getHandle(view.scheduleId).delete().catch(() => undefined);
    }
  });

  it('creates one schedule per bank at its cut-off, follows a changed cut-off, and can be triggered', async () => {
    const db = h.database.db;
    await db('banks').insert({
      code: bank, name: 'Test Bank', bic: `${bank}KZKA`, iban_code: '999', bin: validBin('94014000009'), settlement_iban: makeKzIban('999', '9000000000009'), cutoff_local: '18:30',
    });
    const first = await ensureSchedules(h.client, db, { taskQueue: h.taskQueue, idPrefix: prefix });
    expect(first.map((s) => [s.bankCode, s.action, s.cutoffLocal])).toEqual([['CASP', 'created', '23:59'], ['HSBK', 'created', '23:59'], [bank, 'created', '18:30']]);
    expect((await ensureSchedules(h.client, db, { taskQueue: h.taskQueue, idPrefix: prefix })).every((s) => s.action === 'unchanged')).toBe(true);

    // A changed cut-off moves the schedule; today must be a business day for the trigger to settle it.
    const today = toAlmaty(new Date()).date;
    await db('calendar_days').insert({ day: today, kind: 'workday', name: 'test: a working day' }).onConflict('day').merge();
    await db('banks').where({ code: bank }).update({ cutoff_local: '00:00' });
    const second = await ensureSchedules(h.client, db, { taskQueue: h.taskQueue, idPrefix: prefix });
    expect(second.find((s) => s.bankCode === bank)?.action).toBe('updated');
    expect(second.filter((s) => s.action === 'updated')).toHaveLength(1);
    const [view] = await describeSchedules(h.client, db, { idPrefix: prefix, bankCode: bank });
    expect(view).toMatchObject({ scheduleId: settlementScheduleId(bank, prefix), exists: true, firesAtLocal: '00:00', paused: false });
    expect(view?.nextActionTimes.length).toBeGreaterThan(0);
    expect(new Date(view?.nextActionTimes[0] as string).getUTCHours()).toBe(19); // 00:00 in Almaty is 19:00 UTC

    await h.client.schedule.getHandle(settlementScheduleId(bank, prefix)).trigger();
    const triggered = await waitFor('the triggered workflow', async () => {
      const [v] = await describeSchedules(h.client, db, { idPrefix: prefix, bankCode: bank });
      return v?.recentActions[0]?.workflowId;
    });
    const result = await h.client.workflow.getHandle(triggered).result();
    expect(result).toEqual({ outcome: 'started', bankCode: bank, businessDate: today, workflowId: `settlement:${bank}:${today}` });
    // An empty day settles at once; the bank-day is closed.
    const settled = await waitForStatus(bank, today, 'settled');
    expect(settled).toMatchObject({ startedBy: 'schedule', counts: { payments: 0, lines: 0 }, totals: { net: '0.00' } });
    expect((await db('bank_days').where({ bank_code: bank, business_date: today }).first()).closed_at).not.toBeNull();

    // Triggered again the same day: the settlement already exists and is left alone.
    await h.client.schedule.getHandle(settlementScheduleId(bank, prefix)).trigger();
    const again = await waitFor('the second triggered workflow', async () => {
      const [v] = await describeSchedules(h.client, db, { idPrefix: prefix, bankCode: bank });
      return v && v.recentActions.length >= 2 ? v.recentActions[v.recentActions.length - 1]?.workflowId : undefined;
    });
    expect(await h.client.workflow.getHandle(again).result()).toMatchObject({ outcome: 'already_started' });
  });
});
