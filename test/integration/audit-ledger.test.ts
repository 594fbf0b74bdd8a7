// The ledger audit (audit/ledger.ts) on a real settled day: clean data passes every check, and a
// row corrupted by hand (inside a transaction that is rolled back, with the append-only trigger
// disabled where the ledger itself is corrupted) is named by the check it breaks.
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { makeKzIban } from '../../domain/identifiers';
import { createPaymentActivities } from '../../activities/payment';
import { makeDeps } from '../../activities/deps';
import { auditLedger, LEDGER_CHECKS, temporalChecks, type LedgerReport } from '../../audit';
import type { PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { auditWeekday, harnessEnv, runSpc, settleDay, uniqueTag, waitFor } from './audit-helpers';

jest.setTimeout(300_000);

let h: Harness;
let date: string;
const tag = uniqueTag();
let seq = 0;
const ids = { whole: '', electric: '', doomed: '', otherBank: '' };

async function accepted(overrides: Partial<PaymentRequest>): Promise<string> {
  const outcome = await submitPaymentAsOfPaidAt(h.ctx, {
    bankCode: WORLD.bank, bankRef: `al-${tag}-${++seq}`, channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${date}T11:00:00+05:00`, ...overrides,
  });
  if (!outcome.ok) throw new Error(`rejected: ${outcome.code} ${outcome.message}`);
  const row = await h.database.db('payments').where({ bank_code: outcome.payment.bankCode, bank_ref: outcome.payment.bankRef }).first('id');
  return String(row.id);
}

/** Runs `corrupt` and the audit in one transaction, then rolls it back: the database stays clean for the next case. */
async function auditAfter(corrupt: (trx: Knex.Transaction) => Promise<unknown>, withTemporal = false): Promise<LedgerReport> {
  const trx = await h.database.db.transaction();
  try {
    await corrupt(trx);
    // With Temporal, scoped to the day: other test files' payment workflows share the dev server.
    return await auditLedger(trx, withTemporal ? { date, bank: WORLD.bank } : {}, withTemporal ? { temporalChecks: temporalChecks(h.client) } : {});
  } finally {
    await trx.rollback();
  }
}

/** Issued payment lists refuse changes (20261208002001_app_roles); a tampering test first drops that guard, inside its rolled-back transaction. */
const UNLOCK_SETTLEMENT_FILES = 'ALTER TABLE settlement_files DISABLE TRIGGER settlement_files_immutable';
const checksBroken = (r: LedgerReport) => r.checks.filter((c) => c.breaches > 0).map((c) => c.name).sort();

beforeAll(async () => {
  h = await startHarness('audit-ledger');
  await createPaymentWorld(h.database.db);
  date = auditWeekday(2023);
  ids.whole = await accepted({ amount: '450.00' });
  ids.electric = await accepted({ amount: '1000.00', lines: [{ service: 'ELEC', amount: '1000.00' }] });
  ids.doomed = await accepted({ amount: '300.00' });
  // Paid now: an open day of another bank, still before its settlement (not a past day left unsettled).
  ids.otherBank = await accepted({ bankCode: WORLD.otherBank, amount: '900.00', paidAt: undefined });
  const rejected = await submitPaymentAsOfPaidAt(h.ctx, { bankCode: WORLD.bank, bankRef: `al-${tag}-rej`, channel: 'online', account: '9999999999', amount: '10.00', paidAt: `${date}T11:00:00+05:00` });
  expect(rejected).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_FOUND' });
  // The cut-off of a past day has passed, so the bank's cancellation is posted by the activity
  // directly, with its clock standing at noon of that day.
  const cancelled = await createPaymentActivities(makeDeps(h.database.db, { clock: () => new Date(`${date}T12:00:00+05:00`) })).cancelPayment({
    bankCode: WORLD.bank, bankRef: `al-${tag}-3`, reason: 'test', writtenBy: { workflowId: 'audit-test', runId: 'audit-test' },
  });
  expect(cancelled).toMatchObject({ status: 'cancelled' });
  await settleDay(h, WORLD.bank, date);
});

afterAll(async () => {
  await h?.close();
});

describe('the ledger audit', () => {
  it('passes every check on a settled day with a cancellation and an open day of another bank', async () => {
    const report = await auditLedger(h.database.db);
    expect(report.breaches).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(Object.keys(LEDGER_CHECKS).filter((n) => !n.startsWith('workflow_')));
    const scoped = await auditLedger(h.database.db, { date, bank: WORLD.bank });
    expect(scoped.ok).toBe(true);
  });

  it('finds a settled settlement whose transfer posting is missing, where the transfer check alone passes vacuously', async () => {
    const report = await auditAfter(async (trx) => {
      await trx.raw('ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_append_only');
      await trx.raw(`DELETE FROM ledger_postings WHERE transaction_id IN (SELECT id FROM ledger_transactions WHERE settlement_id = ? AND kind = 'transfer')`, [`HSBK:${date}`]);
      await trx.raw('ALTER TABLE ledger_transactions DISABLE TRIGGER USER');
      await trx.raw(`DELETE FROM ledger_transactions WHERE settlement_id = ? AND kind = 'transfer'`, [`HSBK:${date}`]);
    });
    expect(checksBroken(report)).toContain('settlement_transfer');
    expect(report.breaches.find((b) => b.check === 'settlement_transfer')).toMatchObject({ subject: `settlement HSBK:${date} (settled)`, keys: { settlement_id: `HSBK:${date}` } });
  });

  it('finds a delivered settlement without its payment lists', async () => {
    const report = await auditAfter(async (trx) => {
      await trx.raw(UNLOCK_SETTLEMENT_FILES);
      await trx('settlement_files').where({ settlement_id: `HSBK:${date}` }).del();
    });
    expect(checksBroken(report)).toEqual(['settlement_files']);
    expect(report.breaches.map((b) => b.keys)).toEqual([{ settlement_id: `HSBK:${date}`, format: 'csv' }, { settlement_id: `HSBK:${date}`, format: 'pain001' }]);
  });

  it('finds a pain.001 whose PmtInf totals differ from the lines although its group header is right', async () => {
    const report = await auditAfter(async (trx) => {
      const file = await trx('settlement_files').where({ settlement_id: `HSBK:${date}`, format: 'pain001' }).first('content');
      const xml = (file.content as Buffer).toString('utf8');
      const pmtInf = xml.indexOf('<PmtInf>');
      const changed = xml.slice(0, pmtInf) + xml.slice(pmtInf).replace(/<CtrlSum>[^<]*<\/CtrlSum>/, '<CtrlSum>1.00</CtrlSum>');
      await trx.raw(UNLOCK_SETTLEMENT_FILES);
      await trx('settlement_files').where({ settlement_id: `HSBK:${date}`, format: 'pain001' }).update({ content: Buffer.from(changed), sha256: createHash('sha256').update(changed).digest('hex') });
    });
    expect(checksBroken(report)).toEqual(['payment_list_files']);
    expect(report.breaches[0]?.detail).toMatch(/^PmtInf 1 CtrlSum 1\.00, the lines /);
  });

  it('finds a list that pays another IBAN than the provider\'s in the master data, and master data with a wrong check digit', async () => {
    const report = await auditAfter(async (trx) => {
      await trx('providers').where({ id: 'AES' }).update({ iban: makeKzIban('601', '0000000000777') });
      await trx.raw('ALTER TABLE providers DROP CONSTRAINT providers_bin_check_digit');
      const bin = await trx('providers').where({ id: 'ALMATY_SU' }).first('bin');
      await trx('providers').where({ id: 'ALMATY_SU' }).update({ bin: `${bin.bin.slice(0, 11)}${(Number(bin.bin[11]) + 1) % 10}` });
    });
    expect(checksBroken(report)).toEqual(['master_data', 'payment_list_files']);
    expect(report.breaches.find((b) => b.check === 'payment_list_files')?.detail).toMatch(/pays creditor IBAN KZ\w+, the master data of AES has /);
    expect(report.breaches.find((b) => b.check === 'master_data')).toMatchObject({ subject: 'provider ALMATY_SU', detail: expect.stringContaining('wrong check digit') });
  });

  it('finds accepted payments on a past bank-day that no settlement lists', async () => {
    const report = await auditAfter(async (trx) => {
      await trx.raw('INSERT INTO bank_days (bank_code, business_date) VALUES (?, ?) ON CONFLICT DO NOTHING', [WORLD.otherBank, date]);
      await trx('payments').where({ id: ids.otherBank }).update({ business_date: date });
    });
    expect(checksBroken(report)).toContain('unsettled_bank_day');
    expect(report.breaches.find((b) => b.check === 'unsettled_bank_day')).toMatchObject({
      subject: `bank-day ${WORLD.otherBank}:${date}`, keys: { bank_code: WORLD.otherBank, business_date: date },
      detail: expect.stringContaining('1 accepted payment(s), 900.00 KZT'),
    });
  });

  it('with --temporal, finds every payment\'s workflow run and every completed payment workflow\'s row', async () => {
    const report = await auditLedger(h.database.db, { date, bank: WORLD.bank }, { temporalChecks: temporalChecks(h.client) });
    expect(report.breaches).toEqual([]);
    expect(report.checks.map((c) => c.name)).toContain('workflow_exists');
    expect(report.checks.map((c) => c.name)).toContain('workflow_has_record');
  });

  it('names a payment whose allocation was changed by hand', async () => {
    const report = await auditAfter((trx) => trx.raw(`UPDATE allocations SET amount = amount + 1 WHERE payment_id = ? AND service_code = 'ELEC'`, [ids.electric]));
    expect(checksBroken(report)).toEqual(['allocations_sum', 'payment_postings']);
    const breach = report.breaches.find((b) => b.check === 'allocations_sum');
    expect(breach).toMatchObject({ keys: { payment_id: ids.electric }, detail: 'amount 1000.00, allocations (1 lines) sum to 1001.00' });
    expect(breach?.subject).toBe(`payment ${ids.electric} HSBK/al-${tag}-2 (${date})`);
  });

  it('finds an unbalanced ledger transaction once the append-only trigger is bypassed', async () => {
    const report = await auditAfter(async (trx) => {
      await trx.raw('ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_append_only');
      await trx.raw(
        `UPDATE ledger_postings SET credit = credit + 5 WHERE id = (
           SELECT lp.id FROM ledger_postings lp JOIN ledger_transactions t ON t.id = lp.transaction_id
            WHERE t.payment_id = ? AND t.kind = 'payment' AND lp.account = 'provider:AES')`,
        [ids.whole],
      );
    });
    expect(checksBroken(report)).toEqual(['payment_postings', 'settlement_lines', 'transactions_balance']);
    const unbalanced = report.breaches.find((b) => b.check === 'transactions_balance');
    expect(unbalanced?.subject).toMatch(new RegExp(`^ledger transaction \\d+ \\(payment of payment ${ids.whole}, ${date}\\)$`));
    expect(unbalanced?.detail).toBe('debits 450.00 differ from credits 455.00');
    expect(report.breaches.find((b) => b.check === 'settlement_lines')).toMatchObject({ subject: `settlement HSBK:${date} provider AES (line 1)`, detail: 'the ledger owes 1305.00, the line says 1300.00' });
  });

  it('finds a cancelled payment whose reversal was deleted', async () => {
    const report = await auditAfter(async (trx) => {
      await trx.raw('ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_append_only');
      await trx.raw('ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_append_only');
      await trx.raw(`DELETE FROM ledger_postings WHERE transaction_id IN (SELECT id FROM ledger_transactions WHERE payment_id = ? AND kind = 'reversal')`, [ids.doomed]);
      await trx.raw(`DELETE FROM ledger_transactions WHERE payment_id = ? AND kind = 'reversal'`, [ids.doomed]);
    });
    expect(report.breaches.find((b) => b.check === 'payment_transaction')).toMatchObject({
      keys: { payment_id: ids.doomed },
      detail: 'status cancelled with 1 payment and 0 reversal transactions (expected 1 and 1)',
    });
    expect(checksBroken(report)).toEqual(['lists_add_up', 'payment_transaction', 'settlement_lines', 'settlement_totals']);
  });

  it('finds a settlement line that differs from the ledger, and the payment lists that no longer match it', async () => {
    const report = await auditAfter((trx) => trx.raw(`UPDATE settlement_lines SET amount = amount + 10 WHERE settlement_id = ? AND line_no = 1`, [`HSBK:${date}`]));
    expect(checksBroken(report)).toEqual(['lists_add_up', 'payment_list_files', 'settlement_lines', 'settlement_totals', 'transfer_matches_lines']);
    const files = report.breaches.filter((b) => b.check === 'payment_list_files').map((b) => `${b.subject}: ${b.detail}`);
    const e2e = `HSBK${date.replace(/-/g, '')}-001`;
    expect(files).toEqual([
      `csv file of settlement HSBK:${date}: line 1 (${e2e}) has 1300.00, the settlement 1310.00`,
      `csv file of settlement HSBK:${date}: TOTAL 1450.00, the lines 1460.00`,
      `pain001 file of settlement HSBK:${date}: line 1 (${e2e}) has 1300.00, the settlement 1310.00`,
      `pain001 file of settlement HSBK:${date}: CtrlSum 1450.00, the lines 1460.00`,
      `pain001 file of settlement HSBK:${date}: PmtInf 1 CtrlSum 1450.00, the lines 1460.00`,
    ]);
  });

  it('finds a payment list whose bytes were changed after it was stored', async () => {
    const report = await auditAfter(async (trx) => trx.raw(UNLOCK_SETTLEMENT_FILES).then(() => trx.raw(
      `UPDATE settlement_files SET content = convert_to(replace(convert_from(content, 'UTF8'), '1300.00', '1399.00'), 'UTF8') WHERE settlement_id = ? AND format = 'csv'`,
      [`HSBK:${date}`],
    )));
    expect(checksBroken(report)).toEqual(['payment_list_files']);
    expect(report.breaches.map((b) => b.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/^content SHA-256 [0-9a-f]{64} differs from the recorded [0-9a-f]{64}$/)]));
  });

  it('finds a payment posted to its bank-day after the close', async () => {
    const report = await auditAfter((trx) => trx.raw(
      `UPDATE payments SET posted_at = (SELECT closed_at + interval '1 minute' FROM bank_days WHERE bank_code = 'HSBK' AND business_date = ?) WHERE id = ?`,
      [date, ids.whole],
    ));
    expect(checksBroken(report)).toEqual(['settlement_bank_day']);
    expect(report.breaches[0]).toMatchObject({ keys: { payment_id: ids.whole } });
  });

  it('with --temporal, finds a payment row that points at a workflow run Temporal never had', async () => {
    const unknownRun = '00000000-0000-4000-8000-000000000000';
    const corrupt = async (trx: Knex.Transaction) => {
      await trx.raw(`UPDATE payments SET run_id = ? WHERE id = ?`, [unknownRun, ids.whole]);
      await trx.raw(`UPDATE payments SET run_id = 'not-a-run-id' WHERE id = ?`, [ids.electric]);
    };
    // Temporal's visibility is eventually consistent: a run that just closed may not be listed yet.
    const report = await waitFor('both closed runs visible', async () => {
      const r = await auditAfter(corrupt, true);
      return r.breaches.filter((b) => b.check === 'workflow_has_record').length >= 2 ? r : undefined;
    }, 60_000);
    // The rows point away from their runs, so those completed runs have no row either.
    expect(checksBroken(report)).toEqual(['workflow_exists', 'workflow_has_record']);
    expect(report.breaches.filter((b) => b.check === 'workflow_exists').map((b) => b.keys.payment_id).sort()).toEqual([ids.whole, ids.electric].sort());
    expect(report.breaches.filter((b) => b.check === 'workflow_has_record')).toHaveLength(2);
  });

  it('spc audit ledger exits 0 on the clean day and 1, naming the row, once an allocation is changed', async () => {
    const env = harnessEnv(h);
    const clean = await runSpc(['audit', 'ledger', '--date', date, '--json'], env);
    expect({ code: clean.code, stderr: clean.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, scope: { date }, breaches: [] });

    // Allocations have no append-only trigger: this corruption commits (the database is dropped after the test).
    await h.database.db.raw(`UPDATE allocations SET amount = amount - 1 WHERE payment_id = ? AND service_code = 'ELEC'`, [ids.electric]);
    const broken = await runSpc(['audit', 'ledger', '--bank', 'HSBK'], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`allocations_sum: payment ${ids.electric} HSBK/al-${tag}-2 (${date}): amount 1000.00, allocations (1 lines) sum to 999.00`);
    expect(broken.stdout).toMatch(/BREACH\s+allocations_sum/);
  });
});
