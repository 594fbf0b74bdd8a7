// PAYMENT_NOT_POSTED complaints name no payment, so a quota per bank and Almaty day bounds them
// (issue 16, low): past it a new one is refused with COMPLAINT_LIMIT (429 on the bank API), one
// already raised is still found, another bank and the other dispositions are not affected.
import { randomBytes } from 'node:crypto';
import { ComplaintActionError, raiseComplaint, type ComplaintClientContext } from '../../client/complaints';
import { COMPLAINT_ERROR_CODES } from '../../domain/complaint-types';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { submitPayment } from '../../client/payments';

jest.setTimeout(300_000);

let h: Harness;
let ctx: ComplaintClientContext;
const run = randomBytes(3).toString('hex');
let seq = 0;
const ref = () => `np-${run}-${++seq}`;
const limits = { notPostedPerDayMax: 2 };

beforeAll(async () => {
  h = await startHarness('complaint-quota');
  ctx = { ...h.ctx, db: h.database.db };
  await createPaymentWorld(h.database.db);
});

afterAll(async () => {
  await h?.close();
});

const notPosted = (bankCode: string, bankRef: string) =>
  raiseComplaint(ctx, { bankCode, bankRef, disposition: 'PAYMENT_NOT_POSTED', text: 'the payer has a receipt', raisedBy: `bank:${bankCode}` }, limits);

it('refuses a bank\'s PAYMENT_NOT_POSTED complaints past its quota for the day with COMPLAINT_LIMIT, and only those', async () => {
  const first = ref();
  expect((await notPosted(WORLD.bank, first)).created).toBe(true);
  expect((await notPosted(WORLD.bank, ref())).created).toBe(true);
  const refused = await notPosted(WORLD.bank, ref()).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ComplaintActionError);
  expect(refused).toMatchObject({ code: 'COMPLAINT_LIMIT', status: 429 });
  expect(COMPLAINT_ERROR_CODES.COMPLAINT_LIMIT.status).toBe(429);
  expect(await h.database.db('complaints').where({ bank_code: WORLD.bank, disposition: 'PAYMENT_NOT_POSTED' }).count<{ n: string }[]>({ n: '*' })).toEqual([{ n: '2' }]);

  // The one already raised is still answered; another bank has its own quota.
  expect(await notPosted(WORLD.bank, first)).toMatchObject({ created: false });
  const other = await h.database.db('banks').whereNot({ code: WORLD.bank }).first('code');
  expect((await notPosted(other.code, ref())).created).toBe(true);

  // A complaint about a payment the SPC holds is not capped.
  const bankRef = ref();
  const paid = await submitPayment(h.ctx, { bankCode: WORLD.bank, bankRef, channel: 'cash_desk', account: WORLD.account, amount: '100.00' });
  expect(paid.ok).toBe(true);
  const wrong = await raiseComplaint(ctx, { bankCode: WORLD.bank, bankRef, disposition: 'WRONG_AMOUNT', text: 'the payer paid 1000', raisedBy: `bank:${WORLD.bank}` }, limits);
  expect(wrong.created).toBe(true);
});
