// Complaints on the real dev server, Postgres and HTTP: a bank raises and follows one through the
// API (its own only; the webhook tells it every change), one escalates when its deadline passes,
// and a duplicate-payment complaint finds the twin, proposes the refund, and is resolved when a
// second operator approves it. The ledger audit is clean after all of it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { assignComplaint, closeComplaint, raiseComplaint, resolveComplaint, type ComplaintClientContext } from '../../client/complaints';
import { decideCorrection, getCorrectionState, proposeCorrection, type CorrectionClientContext } from '../../client/corrections';
import { auditLedger } from '../../audit';
import { buildApiServer } from '../../api/server';
import { setBankWebhook } from '../../db/webhook-secrets';
import { verifyWebhookSignature } from '../../domain/webhook-signature';
import type { PaymentRequest } from '../../domain/payment-types';
import { recordHistory } from '../support/histories';
import { ACCOUNTS, loadCalendar, recentBusinessDay, startApiWorld, waitFor, type ApiWorld } from './api-support';
import { settleDay } from './audit-helpers';

jest.setTimeout(300_000);

let w: ApiWorld;
let ctx: ComplaintClientContext & CorrectionClientContext;
let day: string;
let seq = 0;
const ref = (tag: string) => `${tag}-${w.run}-${++seq}`;
const webhooks: Array<{ key: string; verified: boolean; body: { event: string; complaint: { id: string; status: string; version: number } } }> = [];
let hook: http.Server;
/** HSBK's webhook signing secret, as the bank holds it (shown once by `spc bank webhook set`). */
let hookSecret: string;

async function pay(overrides: Partial<PaymentRequest> = {}) {
  const outcome = await submitPaymentAsOfPaidAt(w.h.ctx, {
    bankCode: 'HSBK', bankRef: ref('p'), channel: 'cash_desk', account: ACCOUNTS.simple[0], amount: '500.00', paidAt: `${day}T11:00:00+05:00`, ...overrides,
  });
  if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
  return outcome.payment;
}

const rowOf = (id: string) => w.h.database.db('complaints').where({ id }).first();
const encoded = (id: string) => encodeURIComponent(id);

beforeAll(async () => {
  w = await startApiWorld('cmpl');
  ctx = { ...w.h.ctx, db: w.h.database.db };
  day = recentBusinessDay(await loadCalendar(w.h.database.db), 'complaints');
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      // What the bank's receiver does first: check the signature over the exact body it got.
      const verified = verifyWebhookSignature({ secret: hookSecret, timestamp: req.headers['x-spc-timestamp'] as string, signature: req.headers['x-spc-signature'] as string, body });
      webhooks.push({ key: String(req.headers['idempotency-key']), verified, body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const set = await setBankWebhook(w.h.database.db, 'HSBK', `http://127.0.0.1:${(hook.address() as AddressInfo).port}/spc`);
  if (!set.secret) throw new Error('a bank without a secret gets one with its first webhook URL');
  hookSecret = set.secret;
});

afterAll(async () => {
  await w?.close();
  await new Promise((resolve) => hook?.close(resolve));
});

describe('complaints', () => {
  it('lets a bank raise and follow its complaint through the API, tells it every change, and hides it from other banks', async () => {
    const p = await pay({ amount: '1596.00' });
    const raised = await w.call('POST', '/v1/complaints', { json: { bankRef: p.bankRef, disposition: 'WRONG_AMOUNT', text: 'the payer says she paid 1 600' } });
    expect(raised.status).toBe(201);
    const id = `HSBK:${p.bankRef}:WRONG_AMOUNT`;
    expect(raised.body).toMatchObject({ id, status: 'open', disposition: 'WRONG_AMOUNT', raisedBy: 'bank:HSBK', version: 1, twinBankRef: null });
    expect((await w.call('POST', '/v1/complaints', { json: { bankRef: p.bankRef, disposition: 'WRONG_AMOUNT', text: 'again' } })).status).toBe(200);

    expect((await w.call('GET', '/v1/complaints')).body.complaints.map((c: { id: string }) => c.id)).toContain(id);
    expect((await w.call('GET', `/v1/complaints/${encoded(id)}`)).body).toMatchObject({ id, status: 'open' });
    const foreign = await w.call('GET', `/v1/complaints/${encoded(id)}`, { key: w.keys.CASP });
    expect(foreign).toMatchObject({ status: 404, body: { code: 'COMPLAINT_NOT_FOUND' } });
    expect((await w.call('GET', '/v1/complaints', { key: w.keys.CASP })).body.complaints).toEqual([]);
    expect((await w.call('POST', '/v1/complaints', { json: { bankRef: p.bankRef, disposition: 'PAID_TOO_MUCH', text: 'x' } })).body.code).toBe('VALIDATION_FAILED');
    expect(await w.call('POST', '/v1/complaints', { json: { bankRef: ref('nope'), disposition: 'WRONG_ACCOUNT', text: 'x' } })).toMatchObject({ status: 404, body: { code: 'PAYMENT_NOT_FOUND' } });
    // The SPC has no record of a payment "not posted": that disposition needs none.
    expect((await w.call('POST', '/v1/complaints', { json: { bankRef: ref('lost'), disposition: 'PAYMENT_NOT_POSTED', text: 'receipt 77' } })).status).toBe(201);

    await assignComplaint(ctx, id, { operator: 'alice' });
    await expect(closeComplaint(ctx, id, { operator: 'alice' })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    await resolveComplaint(ctx, id, { operator: 'alice', explanation: 'the receipt says 1 596.00: the amount posted is right' });
    await closeComplaint(ctx, id, { operator: 'alice' });
    const closed = await waitFor('closed', async () => {
      const r = await w.call('GET', `/v1/complaints/${encoded(id)}`);
      return r.body.status === 'closed' ? r.body : undefined;
    });
    expect(closed).toMatchObject({ assignee: 'alice', resolution: { kind: 'explanation', by: 'alice' }, version: 4 });
    const seen = await waitFor('webhooks of every version', async () => {
      const mine = webhooks.filter((h) => h.body.complaint.id === id);
      return mine.length >= 4 ? mine : undefined;
    });
    expect(seen.every((h) => h.verified)).toBe(true);
    expect(seen.map((h) => [h.key, h.body.event, h.body.complaint.status]).sort()).toEqual([
      [`complaint:${id}:v1`, 'complaint.changed', 'open'],
      [`complaint:${id}:v2`, 'complaint.changed', 'assigned'],
      [`complaint:${id}:v3`, 'complaint.changed', 'resolved'],
      [`complaint:${id}:v4`, 'complaint.changed', 'closed'],
    ].sort());
    const audit = await w.h.database.db('operator_audit').whereRaw("args->>'complaintId' = ?", [id]).orderBy('id').select('operator', 'action');
    expect(audit.map((a) => `${a.operator} ${a.action}`)).toEqual(['alice complaint.assign', 'alice complaint.resolve', 'alice complaint.close']);
    await waitFor('the workflow to finish', async () => (await w.h.client.workflow.getHandle(`complaint:${id}`).describe()).status.name === 'COMPLETED');
    await recordHistory(w.h.client, 'complaint', 'explained-closed', `complaint:${id}`);
  });

  it('escalates a complaint whose deadline passes before it is resolved', async () => {
    const p = await pay();
    const { complaint } = await raiseComplaint(ctx, { bankCode: 'HSBK', bankRef: p.bankRef, disposition: 'WRONG_SERVICE', text: 'meant water', raisedBy: 'carol', options: { deadlineMs: 1_500 } });
    expect(complaint.status).toBe('open');
    const escalated = await waitFor('escalated', async () => {
      const r = await rowOf(complaint.id);
      return r?.status === 'escalated' ? r : undefined;
    });
    expect(escalated.escalated_at).not.toBeNull();
    // Late, but still the operators' to finish: assigning keeps it escalated, resolving ends it.
    expect((await assignComplaint(ctx, complaint.id, { operator: 'carol', assignee: 'dave' })).status).toBe('escalated');
    expect((await resolveComplaint(ctx, complaint.id, { operator: 'dave', explanation: 'split as the invoice asked' })).status).toBe('resolved');
    await recordHistory(w.h.client, 'complaint', 'escalated-resolved', complaint.workflowId);
  });

  it('shows the correction an operator proposes for it at once, and is resolved with it once applied', async () => {
    const p = await pay({ account: ACCOUNTS.simple[1] });
    const { complaint } = await raiseComplaint(ctx, { bankCode: 'HSBK', bankRef: p.bankRef, disposition: 'WRONG_ACCOUNT', text: 'paid for the neighbour', raisedBy: 'erin' });
    const proposed = await proposeCorrection(ctx, {
      bankCode: 'HSBK', bankRef: p.bankRef, kind: 'move', target: { account: ACCOUNTS.simple[4] }, reason: 'cashier typo', operator: 'erin', complaintId: complaint.id,
    });
    expect(proposed.status).toBe('proposed');
    // The correction's workflow tells the complaint's: a new version with the correction, pushed to the bank.
    const linked = await waitFor('the complaint to show its correction', async () => {
      const r = await rowOf(complaint.id);
      return r?.correction_id === proposed.correctionId ? r : undefined;
    });
    expect(linked).toMatchObject({ status: 'open', version: 2 });
    await waitFor('the bank to hear of it', async () => webhooks.some((h) => h.verified && h.body.complaint.id === complaint.id && h.body.complaint.version === 2));
    expect((await w.call('GET', `/v1/complaints/${encoded(complaint.id)}`)).body).toMatchObject({ correctionId: proposed.correctionId, version: 2 });

    expect((await decideCorrection(ctx, proposed.correctionId, { operator: 'frank', approve: true, role: 'supervisor' })).status).toBe('applied');
    expect((await resolveComplaint(ctx, complaint.id, { operator: 'frank', correctionId: proposed.correctionId })).resolution).toMatchObject({ kind: 'correction', correctionId: proposed.correctionId });
    await closeComplaint(ctx, complaint.id, { operator: 'frank' });
    await waitFor('the workflow to finish', async () => (await w.h.client.workflow.getHandle(complaint.workflowId).describe()).status.name === 'COMPLETED');
    await recordHistory(w.h.client, 'complaint', 'correction-linked-resolved', complaint.workflowId);
    await recordHistory(w.h.client, 'correction', 'move-tells-complaint', proposed.correctionId);
  });

  it('finds the twin of a duplicate payment, proposes its refund, and resolves the complaint when another operator approves it', async () => {
    const account = ACCOUNTS.simple[2];
    const first = await pay({ account, paidAt: `${day}T11:00:00+05:00` });
    const second = await pay({ account, paidAt: `${day}T11:04:00+05:00` });
    await pay({ account: ACCOUNTS.simple[3], paidAt: `${day}T11:00:00+05:00` }); // same amount and time, other account: not a twin
    await pay({ account, amount: '499.00', paidAt: `${day}T11:01:00+05:00` }); // same account, other amount: not a twin
    const raised = await w.call('POST', '/v1/complaints', { json: { bankRef: first.bankRef, disposition: 'DUPLICATE_PAYMENT', text: 'paid twice at the kiosk' } });
    expect(raised.status).toBe(201);
    const id = raised.body.id as string;
    const proposed = await waitFor('the refund proposal', async () => {
      const r = await rowOf(id);
      return r?.correction_id ? r : undefined;
    });
    expect(proposed).toMatchObject({ twin_bank_ref: second.bankRef, correction_id: `correction:HSBK:${second.bankRef}:1` });
    const correction = await waitFor('proposed', async () => {
      const s = await getCorrectionState(ctx, proposed.correction_id);
      return s?.status === 'proposed' ? s : undefined;
    });
    expect(correction).toMatchObject({ kind: 'refund', proposedBy: 'spc', complaintId: id });

    const applied = await decideCorrection(ctx, correction.correctionId, { operator: 'bob', approve: true, role: 'supervisor' });
    expect(applied.applied).toMatchObject({ mode: 'reposted' });
    const resolved = await waitFor('resolved by the refund', async () => {
      const r = await rowOf(id);
      return r?.status === 'resolved' ? r : undefined;
    });
    expect(resolved.resolution).toMatchObject({ kind: 'correction', correctionId: correction.correctionId, by: 'bob' });
    await closeComplaint(ctx, id, { operator: 'bob' });
    await waitFor('the workflow to finish', async () => (await w.h.client.workflow.getHandle(`complaint:${id}`).describe()).status.name === 'COMPLETED');
    await recordHistory(w.h.client, 'complaint', 'duplicate-refunded-closed', `complaint:${id}`);
    await recordHistory(w.h.client, 'correction', 'refund-proposed-by-complaint', correction.correctionId);
    expect((await w.h.database.db('payments').where({ bank_ref: second.bankRef }).first('status')).status).toBe('corrected');
    expect((await w.h.database.db('payments').where({ bank_ref: first.bankRef }).first('status')).status).toBe('accepted');

    // The complaints' payments sit on a past day, which must be settled like every past day.
    await settleDay(w.h, 'HSBK', day);
    const report = await auditLedger(w.h.database.db);
    expect(report.breaches).toEqual([]);
  });

  it('shows complaints and corrections to operators on /ops with their Temporal UI links', async () => {
    const app = buildApiServer({ db: w.h.database.db, client: w.h.client, taskQueue: w.h.taskQueue, operatorToken: 'ops-token', temporalUiUrl: 'http://ui.test', logger: false });
    try {
      const res = await app.inject({ method: 'GET', url: '/ops/api/overview', headers: { authorization: 'Bearer ops-token' } });
      const { backOffice } = res.json();
      const duplicate = backOffice.complaints.find((c: { disposition: string }) => c.disposition === 'DUPLICATE_PAYMENT');
      expect(duplicate).toMatchObject({ status: 'closed', ui: `http://ui.test/namespaces/default/workflows/${encodeURIComponent(`complaint:${duplicate.id}`)}` });
      expect(backOffice.corrections).toEqual(expect.arrayContaining([
        expect.objectContaining({ kind: 'refund', status: 'applied', mode: 'reposted', proposedBy: 'spc', decidedBy: 'bob' }),
        expect.objectContaining({ kind: 'move', status: 'applied', mode: 'reposted', proposedBy: 'erin', decidedBy: 'frank' }),
      ]));
      expect(backOffice.corrections).toHaveLength(2);
    } finally {
      await app.close();
    }
  });

  it('refuses the SPC\'s refund to the operator who raised the duplicate complaint, and records it', async () => {
    const account = ACCOUNTS.simple[4];
    const first = await pay({ account, amount: '321.00', paidAt: `${day}T12:00:00+05:00` });
    const second = await pay({ account, amount: '321.00', paidAt: `${day}T12:03:00+05:00` });
    const { complaint } = await raiseComplaint(ctx, { bankCode: 'HSBK', bankRef: first.bankRef, disposition: 'DUPLICATE_PAYMENT', text: 'paid twice', raisedBy: 'gulnara' });
    const correctionId = `correction:HSBK:${second.bankRef}:1`;
    const correction = await waitFor('the refund proposal', async () => {
      const s = await getCorrectionState(ctx, correctionId).catch(() => undefined);
      return s?.status === 'proposed' ? s : undefined;
    });
    expect(correction).toMatchObject({ kind: 'refund', proposedBy: 'spc', complaintId: complaint.id });
    // Even a supervisor, and whatever the case of the name: the raiser does not approve the refund of their own complaint.
    await expect(decideCorrection(ctx, correctionId, { operator: 'gulnara', approve: true, role: 'supervisor' })).rejects.toMatchObject({ code: 'COMPLAINANT_APPROVAL' });
    await expect(decideCorrection(ctx, correctionId, { operator: 'Gulnara', approve: true, role: 'supervisor' })).rejects.toMatchObject({ code: 'COMPLAINANT_APPROVAL' });
    await expect(decideCorrection(ctx, correctionId, { operator: 'spc', approve: true, role: 'admin' })).rejects.toMatchObject({ code: 'RESERVED_OPERATOR' });
    const audit = await w.h.database.db('operator_audit').whereRaw("args->>'correctionId' = ?", [correctionId]).orderBy('id').select('operator', 'outcome');
    expect(audit.map((a) => `${a.operator} ${a.outcome}`)).toEqual(['spc ok', 'gulnara refused: COMPLAINANT_APPROVAL', 'Gulnara refused: COMPLAINANT_APPROVAL', 'spc refused: RESERVED_OPERATOR']);
    const applied = await decideCorrection(ctx, correctionId, { operator: 'bob', approve: true, role: 'supervisor' });
    expect(applied.status).toBe('applied');
    await waitFor('resolved by the refund', async () => ((await rowOf(complaint.id))?.status === 'resolved' ? true : undefined));
    await closeComplaint(ctx, complaint.id, { operator: 'bob' });
  });
});
