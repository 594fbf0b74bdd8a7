// Benchmarks: `spc bench --payments N` (engine), `spc bench --http` (bank API; see bench/http.ts),
// `spc bench-register`, `spc bench-cutoff`, `spc bench-day`. Each prints its figures as JSON on its last line.
import type { Command } from 'commander';
import { CliError } from '../runtime';

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive whole number, got ${value}`);
  return n;
}

const ENGINE_OPTION = ['--engine <engine>', 'dev (the dev server `spc up` runs) or server (the real Temporal server on Postgres, 4 shards, mTLS)', 'dev'] as const;

function engineOf(value: string): 'dev' | 'server' {
  if (value !== 'dev' && value !== 'server') throw new CliError(`--engine must be dev or server, got ${JSON.stringify(value)}`);
  return value;
}

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description('measure payments/s and latency through the real stack against a no-op ceiling workflow; last line is JSON')
    .option(...ENGINE_OPTION)
    .option('--payments <n>', 'payments to push (and ceiling workflows to run)', '2000')
    .option('--concurrency <n>', 'requests in flight', '64')
    .option('--accounts <n>', 'demo accounts to pay into', '5000')
    .option('--warmup <n>', 'untimed runs of each first', '200')
    .option('--workers <n>', 'worker processes', '1')
    .option('--http', 'bench the bank HTTP API instead (see bench/http.ts)')
    .option('--rate <n>', 'with --http: open-loop arrivals, payments a second')
    .option('--duration <s>', 'with --http --rate: seconds of arrivals', '60')
    .action(async (opts: { payments: string; concurrency: string; accounts: string; warmup: string; workers: string; http?: boolean; engine: string }) => {
      engineOf(opts.engine);
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
        workers: positive(opts.workers, '--workers'),
        engine: engineOf(opts.engine),
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });

  program
    .command('bench-register')
    .description('benchmark: one day register of N rows uploaded through the bank API until every row is answered; last line is JSON')
    .option(...ENGINE_OPTION)
    .option('--rows <n>', 'rows in the register', '50000')
    .option('--accounts <n>', 'demo accounts the rows pay into', '20000')
    .option('--bad-every <n>', 'one row in this many names an unknown account', '100')
    .action(async (opts: { rows: string; accounts: string; badEvery: string; engine: string }) => {
      const { runRegisterBench } = require('../../bench/register') as typeof import('../../bench/register');
      const result = await runRegisterBench({ rows: positive(opts.rows, '--rows'), accounts: positive(opts.accounts, '--accounts'), badEvery: positive(opts.badEvery, '--bad-every'), engine: engineOf(opts.engine) });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });

  program
    .command('bench-cutoff')
    .description('benchmark: N payments of one bank accepted, then its cut-off passes; engine idle, list delivered, and a probe of another bank before and during; last line is JSON')
    .option(...ENGINE_OPTION)
    .option('--payments <n>', 'payments accepted before the cut-off', '20000')
    .option('--via <how>', 'workflows (one payment workflow each, as cashiers send them) or register', 'workflows')
    .option('--concurrency <n>', 'payments in flight while accepting', '64')
    .option('--accounts <n>', 'demo accounts to pay into', '20000')
    .option('--before <s>', 'seconds of probing before the cut-off, at least', '30')
    .action(async (opts: { payments: string; via: string; concurrency: string; accounts: string; before: string; engine: string }) => {
      if (opts.via !== 'workflows' && opts.via !== 'register') throw new CliError(`--via must be workflows or register, got ${JSON.stringify(opts.via)}`);
      const { runCutoffBench } = require('../../bench/cutoff') as typeof import('../../bench/cutoff');
      const result = await runCutoffBench({
        payments: positive(opts.payments, '--payments'), via: opts.via, concurrency: positive(opts.concurrency, '--concurrency'),
        accounts: positive(opts.accounts, '--accounts'), beforeS: positive(opts.before, '--before'), engine: engineOf(opts.engine),
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });

  program
    .command('bench-day')
    .description('benchmark: a peak day of five banks (registers and single payments, refusals, cancellations), the cut-offs, five settlements, the ledger audit; last line is JSON')
    .option(...ENGINE_OPTION)
    .option('--payments <n>', 'payments in the day', '100000')
    .option('--register-share <f>', 'share of the payments that arrive in registers', '0.6')
    .option('--concurrency <n>', 'single payments in flight', '64')
    .option('--accounts <n>', 'demo accounts to pay into', '50000')
    .option('--workers <n>', 'worker processes', '2')
    .action(async (opts: { payments: string; registerShare: string; concurrency: string; accounts: string; workers: string; engine: string }) => {
      const share = Number(opts.registerShare);
      if (!(share >= 0 && share <= 1)) throw new CliError(`--register-share must be between 0 and 1, got ${opts.registerShare}`);
      const { runDayBench } = require('../../bench/day') as typeof import('../../bench/day');
      const result = await runDayBench({
        payments: positive(opts.payments, '--payments'), registerShare: share, concurrency: positive(opts.concurrency, '--concurrency'),
        accounts: positive(opts.accounts, '--accounts'), workers: positive(opts.workers, '--workers'), engine: engineOf(opts.engine),
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
