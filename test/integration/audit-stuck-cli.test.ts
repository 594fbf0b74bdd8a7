// `spc audit ledger --stuck-after-hours` (issue 16, low): the bank_day_stuck check's age threshold
// from the command line. A settlement sitting in 'discrepancy' for three hours is stuck past a
// two-hour threshold and not past the default 24 h; a threshold that is not a whole number of hours
// from 1 to 720 is refused with a message and exit code 1.
import { startHarness, type Harness } from '../support/harness';
import { createWorld } from '../support/fixtures';
import { harnessEnv, runSpc } from './audit-helpers';

jest.setTimeout(300_000);

let h: Harness;
let env: Record<string, string>;
const date = '2019-06-12';

beforeAll(async () => {
  h = await startHarness('audit-stuck');
  await createWorld(h.database.db);
  env = harnessEnv(h);
  const db = h.database.db;
  await db('bank_days').insert({ bank_code: 'HSBK', business_date: date, closed_at: new Date(Date.now() - 3 * 3_600_000) });
  await db('settlements').insert({ id: `HSBK:${date}`, bank_code: 'HSBK', business_date: date, status: 'discrepancy', created_at: new Date(Date.now() - 3 * 3_600_000), workflow_id: `settlement:HSBK:${date}`, run_id: 'test' });
});

afterAll(async () => {
  await h?.close();
});

const stuckOf = async (args: string[]) => {
  const result = await runSpc(['audit', 'ledger', '--date', date, '--json', ...args], env);
  return (JSON.parse(result.stdout).breaches as Array<{ check: string; subject: string }>).filter((b) => b.check === 'bank_day_stuck');
};

it('reports the settlement stuck past a two-hour threshold, and not past the default 24 h', async () => {
  expect(await stuckOf(['--stuck-after-hours', '2'])).toEqual([expect.objectContaining({ subject: `settlement HSBK:${date}` })]);
  expect(await stuckOf([])).toEqual([]);
  expect(await stuckOf(['--stuck-after-hours', '4'])).toEqual([]);
});

it('refuses a threshold that is not a whole number of hours from 1 to 720', async () => {
  for (const bad of ['0', '1.5', '721', 'soon']) {
    const result = await runSpc(['audit', 'ledger', '--date', date, '--stuck-after-hours', bad], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: `spc: --stuck-after-hours must be a whole number from 1 to 720, got ${bad}\n` });
  }
});
