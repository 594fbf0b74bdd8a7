// The keeper's back-office gauges (infra/read-model-gauges.ts, db/queries/back-office-gauges.ts) on
// real Postgres: complaints past their deadline, open transfer cases, and the last day's failed and
// uncertain invoice mails, each counted by its own rule and nothing else; then read off /metrics.
import { refreshReadModelGauges } from '../../infra/read-model-gauges';
import { metrics } from '../../infra/metrics';
import { countBackOfficeWaiting } from '../../db/queries/back-office-gauges';
import { currentPeriod } from '../../db/seed/demo';
import { createAccount, createWorld } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/env';

let database: TestDatabase;
const now = new Date();
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

function complaint(id: string, status: string, deadlineAt: Date, disposition = 'PAYMENT_NOT_SHOWN') {
  return { id, bank_code: 'HSBK', bank_ref: `ref-${id}`, disposition, text: 'x', status, raised_by: 'bank', deadline_at: deadlineAt, workflow_id: `complaint:${id}`, run_id: 'r' };
}

beforeAll(async () => {
  database = await createTestDatabase();
  await createWorld(database.db);
});

afterAll(async () => {
  await database?.drop();
});

it('counts each waiting thing by its rule, and /metrics shows the counts', async () => {
  const db = database.db;
  expect(await countBackOfficeWaiting(db, now)).toEqual({ complaintsOverdue: 0, transferCasesOpen: 0, mailsFailed: 0, mailsUncertain: 0 });
  await db('complaints').insert([
    complaint('c-overdue', 'open', hoursAgo(1)),
    complaint('c-escalated', 'escalated', hoursAgo(30)),
    complaint('c-in-time', 'assigned', new Date(now.getTime() + 3_600_000)),
    complaint('c-resolved-late', 'resolved', hoursAgo(5)),
    complaint('c-case', 'open', new Date(now.getTime() + 86_400_000), 'TRANSFER_NOT_RECEIVED'),
    complaint('c-case-closed', 'closed', hoursAgo(2), 'TRANSFER_NOT_RECEIVED'),
  ]);
  const period = currentPeriod();
  const invoices: string[] = [];
  for (const number of ['7500000001', '7500000002', '7500000003', '7500000004']) invoices.push((await createAccount(db, { number, lines: [{ service: 'WASTE', charged: '596.00' }] })).invoiceId);
  const subs = await db('mail_subscriptions').insert(['7500000001', '7500000002', '7500000003', '7500000004'].map((account, i) => ({
    account_number: account, email: `h${i}@example.kz`, confirm_token_sha256: `${i}`.repeat(64), confirm_expires_at: now, unsubscribe_token: `u${i}`, confirmed_at: now,
  }))).returning<Array<{ id: string }>>('id');
  const delivery = (i: number, state: string, finishedAt: Date | null) => ({
    invoice_id: invoices[i], email: `h${i}@example.kz`, subscription_id: subs[i]?.id, period, message_id: `<m${i}@spc.test>`, state, finished_at: finishedAt,
  });
  await db('mail_deliveries').insert([delivery(0, 'failed', hoursAgo(2)), delivery(1, 'uncertain', hoursAgo(3)), delivery(2, 'uncertain', hoursAgo(30)), delivery(3, 'sent', hoursAgo(1))]);

  // Overdue: open and escalated past the deadline, not the one still in time nor the resolved one;
  // the open transfer case is in time, so it is a case but not overdue. Mails: the last day only.
  expect(await countBackOfficeWaiting(database.appDb, now)).toEqual({ complaintsOverdue: 2, transferCasesOpen: 1, mailsFailed: 1, mailsUncertain: 1 });
  // As the keeper reads them: the application's role.
  await refreshReadModelGauges(database.appDb, now);
  const text = metrics.render();
  for (const line of ['spc_complaints_overdue 2', 'spc_transfer_cases_open 1', 'spc_mails_failed 1', 'spc_mails_uncertain 1']) expect(text.split('\n')).toContain(line);
});
