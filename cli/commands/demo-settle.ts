// `spc demo`'s last step: settling every bank-day the demo touched, as an operator would.
import { confirmTransfers, getSettlementState, resolveDiscrepancy, startSettlement, type SettlementState } from '../../client/settlements';
import { recordOperatorAction } from '../../db/operator-audit';
import { CliError } from '../runtime';
import { waitFor, type DemoRun } from './demo-run';

const settleDone = (s: SettlementState | null) => (s && ['discrepancy', 'delivered', 'overdue', 'settled'].includes(s.status) ? s : undefined);

/** The operator accepts the day's discrepancy; returns the state once the settlement moved on. */
async function acceptDiscrepancy(run: DemoRun, bank: string, day: string): Promise<SettlementState> {
  await resolveDiscrepancy(run.ctx, bank, day, { accept: true }, run.operator);
  await recordOperatorAction(run.db, { operator: run.operator, action: 'settlement.resolve', args: { bank, date: day, decision: { accept: true }, via: 'spc demo' } });
  return waitFor(`settlement of ${bank} ${day} after the decision`, async () => {
    const s = await getSettlementState(run.ctx, bank, day);
    return s && s.status !== 'discrepancy' ? settleDone(s) : undefined;
  });
}

/** Settles one bank-day as an operator would: start, accept a discrepancy, and (simulated) the bank's confirmation. */
async function settleDemoDay(run: DemoRun, bank: string, day: string): Promise<void> {
  const { ctx, operator } = run;
  const started = await startSettlement(ctx, bank, day, { operator });
  await recordOperatorAction(run.db, { operator, action: 'settlement.start', args: { bank, date: day, via: 'spc demo' }, outcome: started.alreadyStarted ? 'already started' : 'ok' });
  let state = await waitFor(`settlement of ${bank} ${day}`, async () => settleDone(await getSettlementState(ctx, bank, day)));
  const notes: string[] = [];
  if (state.status === 'discrepancy') {
    notes.push(`discrepancy (${state.discrepancies.map((d) => `${d.kind} declared ${d.declared ?? '-'} posted ${d.posted ?? '-'}`).join('; ')}) accepted by ${operator}`);
    state = await acceptDiscrepancy(run, bank, day);
  }
  if (run.opts.confirm && (state.status === 'delivered' || state.status === 'overdue')) {
    const confirmed = await confirmTransfers(ctx, bank, day, { transferRef: `DEMO-${bank}-${day.replace(/-/g, '')}-${run.runTag}` });
    if (!confirmed.ok) throw new CliError(`confirming ${bank} ${day} failed: ${confirmed.code}: ${confirmed.message}`);
    notes.push('transfers confirmed by the bank (simulated)');
    state = confirmed.state;
  }
  run.report.settlements.push({ bank, date: day, outcome: started.alreadyStarted ? 'already started' : 'started', status: state.status, net: state.totals.net, lines: state.lines.length });
  run.say(`  ${bank} ${day}: ${state.status}, ${state.counts.accepted} payments, net ${state.totals.net} KZT in ${state.lines.length} line(s)${state.files.length ? `, files ${state.files.map((f) => f.format).join('+')}` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`);
  const link = run.rt.workflowUrl(started.workflowId, started.runId);
  if (link) run.say(`    ${link}`);
}
/** 4. Settle each bank-day touched that has begun (a later one waits for its schedule). */
export async function demoSettlements(run: DemoRun): Promise<void> {
  const days = [...run.touched].map((k) => k.split('|') as [string, string]).sort(([a, d1], [b, d2]) => d1.localeCompare(d2) || a.localeCompare(b));
  run.say('\nSettlements:');
  for (const [bank, day] of days) {
    if (!run.opts.settle) {
      run.report.settlements.push({ bank, date: day, outcome: 'left open (--no-settle)' });
      run.say(`  ${bank} ${day}: left open (--no-settle)`);
    } else if (day > run.today) {
      run.report.settlements.push({ bank, date: day, outcome: 'not begun: its schedule settles it after the cut-off' });
      run.say(`  ${bank} ${day}: has not begun (the cancelled payment landed there); its schedule settles it after the cut-off`);
    } else {
      await settleDemoDay(run, bank, day);
    }
  }
}
