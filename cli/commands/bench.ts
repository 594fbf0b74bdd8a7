// Benchmarks: `spc bench --payments N` (engine), `spc bench --http` (bank API; see bench/http.ts).
import type { Command } from 'commander';
import { CliError } from '../runtime';

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive whole number, got ${value}`);
  return n;
}

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description('measure payments/s and latency through the real stack against a no-op ceiling workflow; last line is JSON')
    .option('--payments <n>', 'payments to push (and ceiling workflows to run)', '2000')
    .option('--concurrency <n>', 'requests in flight', '64')
    .option('--accounts <n>', 'demo accounts to pay into', '5000')
    .option('--warmup <n>', 'untimed runs of each first', '200')
    .option('--http', 'bench the bank HTTP API instead (see bench/http.ts)')
    .action(async (opts: { payments: string; concurrency: string; accounts: string; warmup: string; http?: boolean }) => {
      if (opts.http) {
        const { runHttpBenchCli } = require('../../bench/http') as { runHttpBenchCli: (o: Record<string, string>) => Promise<Record<string, number>> };
        const result = await runHttpBenchCli(opts as unknown as Record<string, string>);
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const { runPaymentBench } = require('../../bench/payments') as typeof import('../../bench/payments');
      const result = await runPaymentBench({
        payments: positive(opts.payments, '--payments'),
        concurrency: positive(opts.concurrency, '--concurrency'),
        accounts: positive(opts.accounts, '--accounts'),
        warmup: Number(opts.warmup) || 0,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
