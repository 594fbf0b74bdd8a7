// `spc`: the SPC's command line. Each command group lives in cli/commands/<group>.ts and registers
// itself here. Errors a user can fix print one line and exit 1; anything else prints its stack.
import { Command, CommanderError } from 'commander';
import { ActionError } from '../client/errors';
import { CliError, Runtime } from './runtime';
import { registerCoreCommands } from './commands/core';
import { registerPaymentCommands } from './commands/payment';
import { registerSeedCommand } from './commands/seed';
import { registerBenchCommands } from './commands/bench';
import { registerOpsCommands } from './commands/ops';
import { registerDemoCommand } from './commands/demo';
import { registerSettlementCommands } from './commands/settlement';
import { registerScheduleCommands } from './commands/schedule';
import { registerBankCommands } from './commands/bank';
import { registerCorrectionCommands } from './commands/correction';
import { registerComplaintCommands } from './commands/complaint';
import { registerProcessCommands } from './commands/processes';
import { registerProviderCommands } from './commands/provider';
import { registerPrintCommands } from './commands/print';
import { registerMailCommands } from './commands/mail';
import { registerCabinetCommands } from './commands/cabinet';
import { registerOperatorCommands } from './commands/operator';
import { registerPeriodCommands } from './commands/period';

const program = new Command('spc')
  .description('Settlement engine of a utility-payment Single Processing Center (payments, daily per-bank settlement, payment lists)')
  .showHelpAfterError('(run `spc --help` for usage)')
  .exitOverride();

const runtime = new Runtime();
registerCoreCommands(program, runtime);
registerProcessCommands(program, runtime);
registerPaymentCommands(program, runtime);
registerSeedCommand(program, () => runtime.db());
registerBenchCommands(program);
registerOpsCommands(program, runtime);
registerDemoCommand(program, runtime);
registerSettlementCommands(program, runtime);
registerScheduleCommands(program, runtime);
registerBankCommands(program, runtime);
registerCorrectionCommands(program, runtime);
registerComplaintCommands(program, runtime);
registerProviderCommands(program, runtime);
registerPrintCommands(program, runtime);
registerMailCommands(program, runtime);
registerCabinetCommands(program, runtime);
registerOperatorCommands(program, runtime);
registerPeriodCommands(program, runtime);

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CliError || (err as Error)?.name === 'CliError') {
      process.stderr.write(`spc: ${(err as Error).message}\n`);
      return (err as CliError).exitCode ?? 1;
    }
    // A refused action (client/errors.ts) is the user's to fix too: its stable code and what to do.
    if (err instanceof ActionError) {
      process.stderr.write(`spc: ${err.code}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`spc: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  } finally {
    await runtime.close().catch(() => undefined);
  }
}

void main().then((code) => process.exit(code));
