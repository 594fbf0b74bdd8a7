// `spc demo`: a simulated business day against the running system (`spc up`), through the same
// client functions the bank API uses. Payments from every bank and channel, three kinds of
// rejection (unknown account, amount mismatch, reading below the previous one), one cancellation,
// one register, then the settlement of every bank-day it touched: started as an operator, the
// register's discrepancy accepted, the bank's confirmation of its transfers simulated. It prints
// each step and, at the end, the audit commands that check the day.
import type { Command } from 'commander';
import type { Runtime } from '../runtime';
import { startDemo, type DemoOptions } from './demo-run';
import { demoCancellation, demoPayments, demoRegister } from './demo-steps';
import { demoSettlements } from './demo-settle';

/** Kept importable from here for its callers (test/integration/audit-query.test.ts). */
export { chooseDemoDate } from './demo-calendar';

export function registerDemoCommand(program: Command, rt: Runtime): void {
  program
    .command('demo')
    .description('simulate a business day against the running system: payments from every bank and channel, rejections, a cancellation, a register, then settlement')
    .option('--date <yyyy-mm-dd>', 'business date to simulate (default: today while before the cut-offs, else the latest open business day)')
    .option('--operator <name>', "who settles the day (must be you: your token's operator; spc up makes one, ops); recorded in operator_audit")
    .option('--no-settle', 'leave the bank-days open (their schedules settle them)')
    .option('--no-confirm', 'settle up to the delivered payment lists, without the banks\' confirmations')
    .option('--json', 'print the report as JSON')
    .action(async (opts: DemoOptions) => {
      const run = await startDemo(rt, opts);
      run.say(`Simulating business date ${run.date} (run ${run.runTag}) with ${run.banks.length} banks and ${run.accounts.length} payable accounts.\n`);
      await demoPayments(run);
      await demoCancellation(run);
      await demoRegister(run);
      await demoSettlements(run);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(run.report, null, 2)}\n`);
        return;
      }
      run.say(`\nCheck the day:\n  npx spc audit ledger --date ${run.date}\n  npx spc audit replay --date ${run.date}\n  npx spc workflows list --date ${run.date}`);
    });
}
