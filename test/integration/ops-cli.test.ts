// The operator CLI against the test stack: calendar edits are refused without an authenticated
// operator (a personal token) and recorded in operator_audit with one (refusals too, also those of
// a flag naming someone else, a revoked token, a read-only role, a token file others can read);
// `workflows list` prints the visibility
// query it used, which lists exactly the workflows of the filter.
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { buildVisibilityQuery } from '../../audit';
import { startHarness, type Harness } from '../support/harness';
import { createWorld, createAccount } from '../support/fixtures';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { revokeOperatorToken } from '../../db/operators';
import { asOperator, operatorToken } from '../support/operators';
import { auditWeekday, harnessEnv, runSpc, uniqueTag, waitFor } from './audit-helpers';

jest.setTimeout(600_000);

let h: Harness;
let env: Record<string, string | undefined>;
let aigerim: Record<string, string | undefined>;
const tag = uniqueTag();
const ACCOUNT = '7300000001';
let date: string;

beforeAll(async () => {
  h = await startHarness('ops-cli');
  await createWorld(h.database.db);
  await createAccount(h.database.db, { number: ACCOUNT, lines: [{ service: 'ELEC', charged: '3000.00', previousReading: '100.000' }, { service: 'WASTE', charged: '1596.00' }] });
  env = { ...harnessEnv(h), SPC_OPERATOR: undefined };
  aigerim = { ...env, ...(await asOperator(h.database.db, 'aigerim')) };
  date = auditWeekday(2021);
});

afterAll(async () => {
  await h?.close();
});

const auditRows = () => h.database.db('operator_audit').orderBy('id').select('operator', 'action', 'args', 'outcome');

describe('calendar edits are operator actions', () => {
  it('refuses without a personal token, whatever --operator says, and records the attempt', async () => {
    const result = await runSpc(['calendar', 'add-holiday', '2021-07-07', '--name', 'Курбан айт', '--operator', 'aigerim'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^spc: OPERATOR_UNAUTHENTICATED: calendar add-holiday is an operator action: give your personal token/);
    expect((await auditRows()).slice(-1)).toEqual([
      { operator: '(unauthenticated)', action: 'calendar.add-holiday', args: { claimed: 'aigerim' }, outcome: 'refused: OPERATOR_UNAUTHENTICATED' },
    ]);
    expect(await h.database.db('calendar_days').where({ day: '2021-07-07' }).first()).toBeUndefined();
  });

  it('refuses a flag naming someone else (or a case variant), a revoked token, a read-only role and a token file others can read', async () => {
    const add = (extra: string[], e: Record<string, string | undefined>) => runSpc(['calendar', 'add-holiday', '2021-07-08', '--name', 'x', ...extra], e);
    const alice = { ...env, ...(await asOperator(h.database.db, 'alice')) };
    expect(await add(['--operator', 'alice2'], alice)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^spc: OPERATOR_MISMATCH: --operator alice2 is not you: your token is alice's/) });
    expect(await add(['--operator', 'Alice'], alice)).toMatchObject({ code: 1, stderr: expect.stringContaining('OPERATOR_MISMATCH: --operator Alice is not you: your token is alice\'s (operator ids are lower-case)') });
    expect(await add([], { ...alice, SPC_OPERATOR: 'spc' })).toMatchObject({ code: 1, stderr: expect.stringContaining('OPERATOR_MISMATCH: --operator spc is not you') });
    const revokedToken = await operatorToken(h.database.db, 'alice');
    await revokeOperatorToken(h.database.db, revokedToken.slice(0, 13));
    expect(await add([], { ...env, SPC_OPERATOR_TOKEN: revokedToken })).toMatchObject({ code: 1, stderr: expect.stringContaining('OPERATOR_UNAUTHENTICATED: the token in SPC_OPERATOR_TOKEN is unknown, revoked or expired') });
    const auditor = { ...env, ...(await asOperator(h.database.db, 'erlan', 'auditor')) };
    expect(await add([], auditor)).toMatchObject({ code: 1, stderr: expect.stringContaining('OPERATOR_ROLE_FORBIDDEN: calendar add-holiday needs the role operator or supervisor or admin; erlan is auditor') });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-token-'));
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, `${alice.SPC_OPERATOR_TOKEN}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(await add([], { ...env, SPC_OPERATOR_TOKEN_FILE: file })).toMatchObject({ code: 1, stderr: expect.stringContaining(`${file} is readable by others (mode 644): chmod 600 it`) });
    fs.rmSync(dir, { recursive: true, force: true });

    expect((await auditRows()).slice(-6).map((r) => [r.operator, r.action, r.outcome])).toEqual([
      ['alice', 'calendar.add-holiday', 'refused: OPERATOR_MISMATCH'],
      ['alice', 'calendar.add-holiday', 'refused: OPERATOR_MISMATCH'],
      ['alice', 'calendar.add-holiday', 'refused: OPERATOR_MISMATCH'],
      ['(unauthenticated)', 'calendar.add-holiday', 'refused: OPERATOR_UNAUTHENTICATED'],
      ['erlan', 'calendar.add-holiday', 'refused: OPERATOR_ROLE_FORBIDDEN'],
      ['(unauthenticated)', 'calendar.add-holiday', 'refused: OPERATOR_UNAUTHENTICATED'],
    ]);
    expect(await h.database.db('calendar_days').where({ day: '2021-07-08' }).first()).toBeUndefined();
  });

  it('adds a holiday and a transferred working day, recording who did it', async () => {
    const holiday = await runSpc(['calendar', 'add-holiday', '2021-07-20', '--name', 'Курбан айт', '--operator', 'aigerim'], aigerim);
    expect({ code: holiday.code, stderr: holiday.stderr }).toEqual({ code: 0, stderr: '' });
    expect(holiday.stdout).toBe('2021-07-20 is now a holiday: Курбан айт. Recorded as aigerim\'s action; workers see it within 10 s.\n');
    // 2021-07-03 is a Saturday; the token alone names the operator (a 0600 token file here).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-token-'));
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, `${await operatorToken(h.database.db, 'daniyar')}\n`, { mode: 0o600 });
    const workday = await runSpc(['calendar', 'add-workday', '2021-07-03', '--name', 'перенос с 2021-07-05'], { ...env, SPC_OPERATOR_TOKEN_FILE: file });
    fs.rmSync(dir, { recursive: true, force: true });
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
    const result = await runSpc(['calendar', 'add-workday', '2021-07-06', '--name', 'nothing to transfer', '--operator', 'aigerim'], aigerim);
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
    const result = await runSpc(['calendar', 'add-holiday', date, '--name', 'too late', '--operator', 'aigerim'], aigerim);
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
