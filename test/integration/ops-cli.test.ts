// The operator CLI against the test stack: calendar edits are refused without an operator name
// and recorded in operator_audit with one (refusals too); `workflows list` prints the visibility
// query it used, which lists exactly the workflows of the filter.
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { buildVisibilityQuery } from '../../audit';
import { startHarness, type Harness } from '../support/harness';
import { createWorld, createAccount } from '../support/fixtures';
import { auditWeekday, harnessEnv, runSpc, uniqueTag, waitFor } from './audit-helpers';

jest.setTimeout(600_000);

let h: Harness;
let env: Record<string, string | undefined>;
const tag = uniqueTag();
const ACCOUNT = '7300000001';
let date: string;

beforeAll(async () => {
  h = await startHarness('ops-cli');
  await createWorld(h.database.db);
  await createAccount(h.database.db, { number: ACCOUNT, lines: [{ service: 'ELEC', charged: '3000.00', previousReading: '100.000' }, { service: 'WASTE', charged: '1596.00' }] });
  env = { ...harnessEnv(h), SPC_OPERATOR: undefined };
  date = auditWeekday(2021);
});

afterAll(async () => {
  await h?.close();
});

const auditRows = () => h.database.db('operator_audit').orderBy('id').select('operator', 'action', 'args', 'outcome');

describe('calendar edits are operator actions', () => {
  it('refuses without an operator name and records nothing', async () => {
    const before = (await auditRows()).length;
    const result = await runSpc(['calendar', 'add-holiday', '2021-07-07', '--name', 'Курбан айт'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('spc: calendar add-holiday is an operator action: say who you are with --operator <name> or SPC_OPERATOR\n');
    expect(await auditRows()).toHaveLength(before);
    expect(await h.database.db('calendar_days').where({ day: '2021-07-07' }).first()).toBeUndefined();
  });

  it('adds a holiday and a transferred working day, recording who did it', async () => {
    const holiday = await runSpc(['calendar', 'add-holiday', '2021-07-20', '--name', 'Курбан айт', '--operator', 'aigerim'], env);
    expect({ code: holiday.code, stderr: holiday.stderr }).toEqual({ code: 0, stderr: '' });
    expect(holiday.stdout).toBe('2021-07-20 is now a holiday: Курбан айт. Recorded as aigerim\'s action; workers see it within 10 s.\n');
    // 2021-07-03 is a Saturday; SPC_OPERATOR names the operator when --operator is absent.
    const workday = await runSpc(['calendar', 'add-workday', '2021-07-03', '--name', 'перенос с 2021-07-05'], { ...env, SPC_OPERATOR: 'daniyar' });
    expect({ code: workday.code, stderr: workday.stderr }).toEqual({ code: 0, stderr: '' });

    const days = await h.database.db('calendar_days').whereIn('day', ['2021-07-20', '2021-07-03']).orderBy('day').select('day', 'kind', 'name');
    expect(days).toEqual([
      { day: '2021-07-03', kind: 'workday', name: 'перенос с 2021-07-05' },
      { day: '2021-07-20', kind: 'holiday', name: 'Курбан айт' },
    ]);
    expect((await auditRows()).slice(-2)).toEqual([
      { operator: 'aigerim', action: 'calendar.add-holiday', args: { date: '2021-07-20', name: 'Курбан айт', previous: null }, outcome: 'ok' },
      { operator: 'daniyar', action: 'calendar.add-workday', args: { date: '2021-07-03', name: 'перенос с 2021-07-05', previous: null }, outcome: 'ok' },
    ]);

    const list = await runSpc(['calendar', 'list', '--year', '2021', '--json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([
      { date: '2021-07-03', weekday: 'Sat', kind: 'workday', name: 'перенос с 2021-07-05' },
      { date: '2021-07-20', weekday: 'Tue', kind: 'holiday', name: 'Курбан айт' },
    ]));
    const text = await runSpc(['calendar', 'list', '--year', '2021'], env);
    expect(text.stdout.split('\n')[0]).toMatch(/^date\s+weekday\s+kind\s+name$/);
  });

  it('records a refused edit with the reason: a weekday that is already a working day', async () => {
    const result = await runSpc(['calendar', 'add-workday', '2021-07-06', '--name', 'nothing to transfer', '--operator', 'aigerim'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('spc: 2021-07-06 is a weekday and not a holiday: it is a working day already\n');
    expect((await auditRows()).slice(-1)).toEqual([
      { operator: 'aigerim', action: 'calendar.add-workday', args: { date: '2021-07-06', name: 'nothing to transfer' }, outcome: 'refused: 2021-07-06 is a weekday and not a holiday: it is a working day already' },
    ]);
    expect(await h.database.db('calendar_days').where({ day: '2021-07-06' }).first()).toBeUndefined();
  });

  it('refuses to turn a business date that already has payments into a holiday', async () => {
    const paid = await submitPaymentAsOfPaidAt(h.ctx, { bankCode: 'HSBK', bankRef: `ops-${tag}-1`, channel: 'cash_desk', account: ACCOUNT, amount: '500.00', paidAt: `${date}T10:00:00+05:00` });
    expect(paid).toMatchObject({ ok: true, payment: { businessDate: date } });
    const result = await runSpc(['calendar', 'add-holiday', date, '--name', 'too late', '--operator', 'aigerim'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`spc: payments are already posted to business date ${date} (1 bank-day(s)): it cannot become a holiday now\n`);
    expect((await auditRows()).slice(-1)[0]).toMatchObject({ operator: 'aigerim', action: 'calendar.add-holiday', outcome: expect.stringMatching(/^refused: payments are already posted/) });
  });
});

describe('spc workflows list', () => {
  it('lists the workflows of a filter and prints the query that the Temporal Web UI accepts as is', async () => {
    await submitPaymentAsOfPaidAt(h.ctx, { bankCode: 'HSBK', bankRef: `ops-${tag}-2`, channel: 'online', account: ACCOUNT, amount: '700.00', paidAt: `${date}T11:00:00+05:00` });
    await submitPaymentAsOfPaidAt(h.ctx, { bankCode: 'CASP', bankRef: `ops-${tag}-3`, channel: 'kiosk', account: ACCOUNT, amount: '800.00', paidAt: `${date}T11:00:00+05:00` });
    const query = buildVisibilityQuery({ type: 'payment', bank: 'HSBK', date });
    expect(query).toBe(`WorkflowType = 'paymentWorkflow' AND BankCode = 'HSBK' AND BusinessDate = '${date}'`);
    // A payment's workflow completes once it is posted; wait until visibility shows both accepted and closed.
    await waitFor('visibility', async () => (await h.client.workflow.count(`${query} AND PaymentStatus = 'accepted' AND ExecutionStatus = 'Completed'`)).count === 2);

    const json = await runSpc(['workflows', 'list', '--type', 'payment', '--bank', 'HSBK', '--date', date, '--json'], env);
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: '' });
    const listed = JSON.parse(json.stdout) as { query: string; workflows: Array<Record<string, unknown>> };
    expect(listed.query).toBe(query);
    expect(listed.workflows.map((w) => [w.workflowId, w.type, w.bank, w.businessDate]).sort()).toEqual([
      [`payment:HSBK:ops-${tag}-1`, 'paymentWorkflow', 'HSBK', date],
      [`payment:HSBK:ops-${tag}-2`, 'paymentWorkflow', 'HSBK', date],
    ]);

    const text = await runSpc(['workflows', 'list', '--date', date, '--status', 'accepted', '--limit', '1'], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe(`query: WorkflowType IN ('paymentWorkflow', 'settlementWorkflow', 'registerWorkflow') AND BusinessDate = '${date}' AND (PaymentStatus = 'accepted' OR SettlementStatus = 'accepted')`);
    expect(lines[2]).toMatch(/^workflowId\s+type\s+status\s+bank\s+businessDate\s+businessStatus\s+started\s+closed$/);
    expect(lines[3]).toMatch(new RegExp(`^payment:(HSBK|CASP):ops-${tag}-\\d\\s+paymentWorkflow\\s+COMPLETED\\s+(HSBK|CASP)\\s+${date}\\s+accepted\\s`));
    expect(text.stdout).toContain('(first 1; --limit shows more)');
  });

  it('refuses a malformed filter with a message that names the option', async () => {
    const result = await runSpc(['workflows', 'list', '--bank', 'halyk'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('spc: --bank must be a 4-letter bank code such as HSBK, got "halyk"\n');
    const dates = await runSpc(['workflows', 'list', '--date', '2021-07-01', '--from', '2021-07-01'], env);
    expect(dates.stderr).toBe('spc: give either --date or --from/--to, not both\n');
  });
});
