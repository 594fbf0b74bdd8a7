// Money posted but never listed, and lists that cannot be built: the guard shows them to operators
// (/ops, the ledger audit), the daily trigger settles bank-days left unsettled, and a payment list
// the master data cannot build stops its settlement with an alert instead of retrying forever.
import { randomBytes } from 'node:crypto';
import { settlementTriggerWorkflow } from '../../workflows/settlement-trigger';
import { startSettlement, getSettlementState } from '../../client/settlements';
import { loadOpsOverview } from '../../api/routes/ops';
import { auditLedger } from '../../audit';
import { findUnsettledBankDays } from '../../db/queries/unsettled';
import { addDays, isBusinessDay, toAlmaty } from '../../domain/calendar';
import { makeKzIban } from '../../domain/identifiers';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld, validBin } from '../support/payment-world';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { waitFor } from '../support/wait';
import { loadCalendar } from './api-support';
import { REFERENCE_TTL_MS } from '../../activities/reference-cache';

jest.setTimeout(300_000);

const WAIT_MS = 120_000;
const POLL_MS = 300;
/** A bank of this run only: settlement ids of recent days are shared by every test file on the dev server. */
const BANK = `U${Array.from(randomBytes(3), (b) => String.fromCharCode(65 + (b % 26))).join('')}`;
const noLinks = { root: null, workflow: () => null, list: () => null };
const inTime = { confirmDeadlineMs: 600_000 };

let h: Harness;
let days: string[];
let seq = 0;

const pay = (date: string) =>
  submitPaymentAsOfPaidAt(h.ctx, { bankCode: BANK, bankRef: `uns-${BANK}-${++seq}`, channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${date}T10:00:00+05:00` });

beforeAll(async () => {
  h = await startHarness('unsettled');
  await createPaymentWorld(h.database.db);
  await h.database.db('banks').insert({
    code: BANK, name: 'Unsettled Test Bank', bic: `${BANK}KZKA`, iban_code: '997', bin: validBin('94014000011'), settlement_iban: makeKzIban('997', '9000000000011'), cutoff_local: '23:59',
  });
  const calendar = await loadCalendar(h.database.db);
  days = [];
  for (let d = addDays(toAlmaty(new Date()).date, -2); days.length < 2; d = addDays(d, -1)) if (isBusinessDay(d, calendar)) days.push(d);
});

afterAll(async () => {
  await h?.close();
});

it('shows a past bank-day nobody settled to operators and the audit, and the daily trigger settles it', async () => {
  const day = days[0] as string;
  expect(await pay(day)).toMatchObject({ ok: true, payment: { businessDate: day } });
  const today = toAlmaty(new Date()).date;

  expect(await findUnsettledBankDays(h.database.db, today, { bankCode: BANK })).toEqual([{ bankCode: BANK, businessDate: day, acceptedCount: 1, acceptedTotal: '450.00' }]);
  const overview = await loadOpsOverview(h.database.db, new Date(), noLinks);
  expect(overview.alerts.unsettledDays).toContainEqual({ bankCode: BANK, businessDate: day, acceptedCount: 1, acceptedTotal: '450.00', ui: null });
  const audit = await auditLedger(h.database.db, { bank: BANK });
  expect(audit.breaches.filter((b) => b.check === 'unsettled_bank_day').map((b) => b.keys)).toEqual([{ bank_code: BANK, business_date: day }]);

  // Cut-off 00:00 from now on: the trigger (which reads the bank fresh) does not sleep until a cut-off.
  await h.database.db('banks').where({ code: BANK }).update({ cutoff_local: '00:00' });
  const result = await h.client.workflow.execute(settlementTriggerWorkflow, {
    workflowId: `trigger-${BANK}-${Date.now()}`, taskQueue: h.taskQueue, args: [{ bankCode: BANK, options: inTime }],
  });
  expect(result.swept).toEqual([day]);
  const delivered = await waitFor(`settlement ${BANK}:${day} delivered`, async () => {
    const s = await getSettlementState(h.ctx, BANK, day);
    return s?.status === 'delivered' ? s : undefined;
  }, WAIT_MS, POLL_MS);
  expect(delivered.startedBy).toBe('sweep');
  expect(await findUnsettledBankDays(h.database.db, today, { bankCode: BANK })).toEqual([]);
});

it('stops a settlement whose payment list the master data cannot build, with an alert on /ops, instead of retrying', async () => {
  const day = days[1] as string;
  await h.database.db('banks').where({ code: BANK }).update({ cutoff_local: '23:59' });
  // The posting reads the bank through a cache of a few seconds: wait it out.
  await new Promise((resolve) => setTimeout(resolve, REFERENCE_TTL_MS + 500));
  expect(await pay(day)).toMatchObject({ ok: true, payment: { businessDate: day } });
  // A provider row from before the master-data checks: its IBAN's check digits are wrong.
  await h.database.db.raw('ALTER TABLE providers DROP CONSTRAINT providers_iban_check_digits');
  const good = makeKzIban('601', '0000000000001');
  const broken = `KZ${String((Number(good.slice(2, 4)) + 1) % 100).padStart(2, '0')}${good.slice(4)}`;
  await h.database.db('providers').where({ id: 'AES' }).update({ iban: broken });

  const started = await startSettlement(h.ctx, BANK, day, { operator: 'tester', options: inTime });
  const alert = await waitFor('settlement alert', async () => (await h.database.db('settlements').where({ id: `${BANK}:${day}` }).first('alert'))?.alert, WAIT_MS, POLL_MS);
  expect(alert).toMatch(/^payment list cannot be built: /);
  await waitFor('settlement workflow failed', async () => (await h.client.workflow.getHandle(started.workflowId).describe()).status.name === 'FAILED', WAIT_MS, POLL_MS);
  const overview = await loadOpsOverview(h.database.db, new Date(), noLinks);
  expect(overview.alerts.settlements).toContainEqual(expect.objectContaining({ settlementId: `${BANK}:${day}`, alert }));
});
