// A wrong-account call from first word to the adjusted list, with the CLI only: the operator raises
// the complaint, proposes the move, cannot approve it herself, a colleague approves, the complaint
// is resolved with the correction, and the bank's next list carries the adjustment; the ledger
// audit passes. Every command prints the Temporal UI link of its workflow.
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { startHarness, type Harness } from '../support/harness';
import { createAccount, createWorld } from '../support/fixtures';
import type { OperatorRole } from '../../domain/operator-roles';
import { asOperator } from '../support/operators';
import { auditWeekday, harnessEnv, runSpc, settleDay, uniqueTag } from './audit-helpers';
import { waitFor } from '../support/wait';

jest.setTimeout(600_000);

let h: Harness;
let env: Record<string, string | undefined>;
const tag = uniqueTag();
const MINE = '7400000001';
const NEIGHBOUR = '7400000002';
const UI = 'http://ui.test';

beforeAll(async () => {
  h = await startHarness('bo-cli');
  await createWorld(h.database.db);
  await createAccount(h.database.db, { number: MINE, lines: [{ service: 'WASTE', charged: '1596.00' }] });
  await createAccount(h.database.db, { number: NEIGHBOUR, lines: [{ service: 'ELEC', charged: '3000.00', previousReading: '100.000' }] });
  env = { ...harnessEnv(h), SPC_OPERATOR: undefined, TEMPORAL_UI_URL: UI };
});

afterAll(async () => {
  await h?.close();
});

/** Who the test's operators are: daniyar may approve corrections, aigerim may not. */
const ROLES: Record<string, OperatorRole> = { aigerim: 'operator', daniyar: 'supervisor' };
const tokens = new Map<string, Record<string, string>>();

async function spc(args: string[], operator?: string) {
  if (!operator) return runSpc(args, env);
  if (!tokens.has(operator)) tokens.set(operator, await asOperator(h.database.db, operator, ROLES[operator] ?? 'operator'));
  return runSpc([...args, '--operator', operator], { ...env, ...tokens.get(operator) });
}

describe('a wrong-account call handled with the CLI', () => {
  it('goes from the complaint to the adjustment on the next list', async () => {
    const day1 = auditWeekday(2022);
    const bankRef = `cli-${tag}`;
    // The cashier typed the neighbour's account: the money went to electricity instead of waste removal.
    const paid = await submitPaymentAsOfPaidAt(h.ctx, { bankCode: 'HSBK', bankRef, channel: 'cash_desk', account: NEIGHBOUR, amount: '1596.00', paidAt: `${day1}T10:00:00+05:00` });
    expect(paid.ok).toBe(true);
    await settleDay(h, 'HSBK', day1);

    const raised = await spc(['complaint', 'raise', 'HSBK', bankRef, '--disposition', 'WRONG_ACCOUNT', '--text', 'paid for 7400000001, not 7400000002'], 'aigerim');
    expect({ code: raised.code, stderr: raised.stderr }).toEqual({ code: 0, stderr: '' });
    const complaintId = `HSBK:${bankRef}:WRONG_ACCOUNT`;
    expect(raised.stdout).toContain(`${complaintId}  open`);
    expect(raised.stdout).toContain(`${UI}/namespaces/default/workflows/${encodeURIComponent(`complaint:${complaintId}`)}`);

    const proposed = await spc(['correction', 'propose', 'HSBK', bankRef, '--kind', 'move', '--to-account', MINE, '--reason', 'cashier typo', '--complaint', complaintId], 'aigerim');
    expect({ code: proposed.code, stderr: proposed.stderr }).toEqual({ code: 0, stderr: '' });
    const ref = /  (K\d+)  move  proposed/.exec(proposed.stdout)?.[1] as string;
    expect(ref).toMatch(/^K\d+$/);
    expect(proposed.stdout).toContain(`account ${NEIGHBOUR} -> ${MINE}`);
    // The correction tells its complaint: the bank sees which correction answers it, in a new version.
    const correctionId = `correction:HSBK:${bankRef}:1`;
    await waitFor('the complaint to show its correction', async () => (await h.database.db('complaints').where({ id: complaintId }).first('correction_id'))?.correction_id === correctionId);
    const linked = JSON.parse((await spc(['complaint', 'show', complaintId, '--json'])).stdout);
    expect(linked).toMatchObject({ status: 'open', correctionId, version: 2 });

    const self = await spc(['correction', 'approve', ref], 'aigerim');
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/^spc: SELF_APPROVAL: aigerim may not approve correction .*: another operator must decide it/);
    // Naming the supervisor by flag does not make aigerim the supervisor: her token says who she is.
    const byFlag = await runSpc(['correction', 'approve', ref, '--operator', 'daniyar'], { ...env, ...tokens.get('aigerim') });
    expect(byFlag).toMatchObject({ code: 1, stderr: expect.stringMatching(/^spc: OPERATOR_MISMATCH: --operator daniyar is not you: your token is aigerim's/) });
    expect(await h.database.db('operator_audit').orderBy('id', 'desc').first('operator', 'action', 'outcome'))
      .toEqual({ operator: 'aigerim', action: 'correction.approve', outcome: 'refused: OPERATOR_MISMATCH' });
    // A reject needs its reason, by the rule /ops answers with too (client/decisions.ts).
    const unreasoned = await spc(['correction', 'reject', ref, '--reason', '  '], 'daniyar');
    expect(unreasoned).toMatchObject({ code: 1, stderr: expect.stringMatching(/^spc: REASON_REQUIRED: a reject's reason is required/) });
    expect(await h.database.db('operator_audit').orderBy('id', 'desc').first('operator', 'action', 'outcome'))
      .toEqual({ operator: 'daniyar', action: 'correction.reject', outcome: 'refused: REASON_REQUIRED' });

    const approved = await spc(['correction', 'approve', ref, '--note', 'checked the receipt'], 'daniyar');
    expect({ code: approved.code, stderr: approved.stderr }).toEqual({ code: 0, stderr: '' });
    expect(approved.stdout).toContain('applied  adjusted');
    expect(approved.stdout).toMatch(/adjust +ALMATYENERGOSBYT +-1596\.00/);
    expect(approved.stdout).toMatch(/adjust +TARTYP +1596\.00/);

    const resolved = await spc(['complaint', 'resolve', complaintId, '--correction', correctionId], 'daniyar');
    expect({ code: resolved.code, stdout: resolved.stdout }).toEqual({ code: 0, stdout: `${complaintId}: resolved\n` });

    const payment = await spc(['payment', 'show', 'HSBK', bankRef]);
    expect(payment.stdout).toContain(`correction ${ref} move applied (adjusted): spc correction show ${ref}`);

    const listed = JSON.parse((await spc(['correction', 'list', '--json'])).stdout);
    expect(listed).toEqual([expect.objectContaining({ ref, status: 'applied', mode: 'adjusted', pendingAdjustments: 2, ui: `${UI}/namespaces/default/workflows/${encodeURIComponent(correctionId)}` })]);

    const day2 = auditWeekday(2022);
    const next = await submitPaymentAsOfPaidAt(h.ctx, { bankCode: 'HSBK', bankRef: `${bankRef}-next`, channel: 'cash_desk', account: NEIGHBOUR, amount: '2000.00', paidAt: `${day2}T10:00:00+05:00` });
    expect(next.ok).toBe(true);
    await settleDay(h, 'HSBK', day2);
    const shown = await spc(['settlement', 'show', 'HSBK', day2]);
    // The electricity provider got 1596.00 too much: it gets that much less; waste removal gets it now.
    expect(shown.stdout).toMatch(new RegExp(`${ref} +ALMATYENERGOSBYT +404\\.00 .*adjusted -1596\\.00 by ${ref}`));
    expect(shown.stdout).toMatch(new RegExp(`${ref} +TARTYP +1596\\.00 .*adjusted 1596\\.00 by ${ref}`));

    const audit = await spc(['audit', 'ledger']);
    expect({ code: audit.code, stderr: audit.stderr }).toEqual({ code: 0, stderr: '' });
  });
});
