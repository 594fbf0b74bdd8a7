// Benchmarks: `spc bench --payments N` (engine), `spc bench --http` (bank API; see bench/http.ts),
// `spc bench-register`, `spc bench-cutoff`, `spc bench-day`, `spc bench-settlement`, `spc bench-cabinet`. Each prints its
// figures as JSON on its last line. The bench modules are loaded with require, not import():
// bin/spc.js runs TypeScript through tsx's CommonJS hook, which a dynamic import() bypasses.
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

/** [flag, description, default] of one option. */
type OptionSpec = readonly [string, string, string?];

/** A benchmark command on an engine (--engine): its options, and the run whose figures it prints as JSON. */
function benchCommand<O>(program: Command, name: string, description: string, options: OptionSpec[], run: (opts: O) => Promise<unknown>): void {
  const command = program.command(name).description(description).option(...ENGINE_OPTION);
  for (const [flag, text, value] of options) command.option(flag, text, value);
  command.action(async (opts: O) => {
    const result = await run(opts);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
}

type EngineOpts = { engine: string };

/** A households' bench (issue 20) of N demo invoices: its run, and the JSON of its figures. */
function invoicesBench(program: Command, name: string, description: string, invoicesDefault: string, run: (invoices: number) => Promise<unknown>): void {
  program.command(name).description(description).option('--invoices <n>', 'demo invoices to seed', invoicesDefault)
    .action(async (opts: { invoices: string }) => {
      process.stdout.write(`${JSON.stringify(await run(positive(opts.invoices, '--invoices')))}\n`);
    });
}

function registerCabinetBench(program: Command): void {
  program
    .command('bench-cabinet')
    .description('households signing in to the cabinet and opening the invoice, open loop, through the API process; last line is JSON')
    .option('--rate <n>', 'flows a second (session, sign-in, invoice; each flow another account)', '20')
    .option('--seconds <n>', 'seconds of arrivals', '60')
    .action(async (opts: { rate: string; seconds: string }) => {
      const { runCabinetBench } = require('../../bench/cabinet') as typeof import('../../bench/cabinet');
      process.stdout.write(`${JSON.stringify(await runCabinetBench({ ratePerS: positive(opts.rate, '--rate'), seconds: positive(opts.seconds, '--seconds') }))}\n`);
    });
}

function registerHouseholdBenches(program: Command): void {
  invoicesBench(program, 'bench-print', 'a period\'s print run of N demo invoices through the real stack; last line is JSON', '100000',
    (invoices) => (require('../../bench/print') as typeof import('../../bench/print')).runPrintBench({ invoices }));
  invoicesBench(program, 'bench-mail', 'a period\'s mail delivery of N demo invoices with PDFs to the local SMTP relay, a worker SIGKILLed mid-run; last line is JSON', '20000',
    (invoices) => (require('../../bench/mail') as typeof import('../../bench/mail')).runMailBench({ invoices }));
}

function registerEngineBench(program: Command): void {
  benchCommand<{ payments: string; concurrency: string; accounts: string; warmup: string; workers: string; http?: boolean } & EngineOpts>(
    program, 'bench', 'measure payments/s and latency through the real stack against a no-op ceiling workflow; last line is JSON',
    [
      ['--payments <n>', 'payments to push (and ceiling workflows to run)', '2000'],
      ['--concurrency <n>', 'requests in flight', '64'],
      ['--accounts <n>', 'demo accounts to pay into', '5000'],
      ['--warmup <n>', 'untimed runs of each first', '200'],
      ['--workers <n>', 'worker processes', '1'],
      ['--http', 'bench the bank HTTP API instead (see bench/http.ts)'],
      ['--rate <n>', 'with --http: open-loop arrivals, payments a second'],
      ['--duration <s>', 'with --http --rate: seconds of arrivals', '60'],
    ],
    async (opts) => {
      engineOf(opts.engine);
      if (opts.http) {
        const { runHttpBenchCli } = require('../../bench/http') as { runHttpBenchCli: (o: Record<string, string>) => Promise<Record<string, number>> };
        return runHttpBenchCli(opts as unknown as Record<string, string>);
      }
      const { runPaymentBench } = require('../../bench/payments') as typeof import('../../bench/payments');
      return runPaymentBench({
        payments: positive(opts.payments, '--payments'), concurrency: positive(opts.concurrency, '--concurrency'), accounts: positive(opts.accounts, '--accounts'),
        warmup: Number(opts.warmup) || 0, workers: positive(opts.workers, '--workers'), engine: engineOf(opts.engine),
      });
    },
  );
}

function registerRegisterAndCutoffBench(program: Command): void {
  benchCommand<{ rows: string; accounts: string; badEvery: string } & EngineOpts>(
    program, 'bench-register', 'benchmark: one day register of N rows uploaded through the bank API until every row is answered; last line is JSON',
    [
      ['--rows <n>', 'rows in the register', '50000'],
      ['--accounts <n>', 'demo accounts the rows pay into', '20000'],
      ['--bad-every <n>', 'one row in this many names an unknown account', '100'],
    ],
    async (opts) => {
      const { runRegisterBench } = require('../../bench/register') as typeof import('../../bench/register');
      return runRegisterBench({ rows: positive(opts.rows, '--rows'), accounts: positive(opts.accounts, '--accounts'), badEvery: positive(opts.badEvery, '--bad-every'), engine: engineOf(opts.engine) });
    },
  );

  benchCommand<{ payments: string; via: string; concurrency: string; accounts: string; before: string } & EngineOpts>(
    program, 'bench-cutoff', 'benchmark: N payments of one bank accepted, then its cut-off passes; engine idle, list delivered, and a probe of another bank before and during; last line is JSON',
    [
      ['--payments <n>', 'payments accepted before the cut-off', '20000'],
      ['--via <how>', 'workflows (one payment workflow each, as cashiers send them) or register', 'workflows'],
      ['--concurrency <n>', 'payments in flight while accepting', '64'],
      ['--accounts <n>', 'demo accounts to pay into', '20000'],
      ['--before <s>', 'seconds of probing before the cut-off, at least', '30'],
    ],
    async (opts) => {
      if (opts.via !== 'workflows' && opts.via !== 'register') throw new CliError(`--via must be workflows or register, got ${JSON.stringify(opts.via)}`);
      const { runCutoffBench } = require('../../bench/cutoff') as typeof import('../../bench/cutoff');
      return runCutoffBench({
        payments: positive(opts.payments, '--payments'), via: opts.via, concurrency: positive(opts.concurrency, '--concurrency'),
        accounts: positive(opts.accounts, '--accounts'), beforeS: positive(opts.before, '--before'), engine: engineOf(opts.engine),
      });
    },
  );
}

function registerDayBench(program: Command): void {
  benchCommand<{ payments: string; registerShare: string; concurrency: string; accounts: string; workers: string } & EngineOpts>(
    program, 'bench-day', 'benchmark: a peak day of five banks (registers and single payments, refusals, cancellations), the cut-offs, five settlements, the ledger audit; last line is JSON',
    [
      ['--payments <n>', 'payments in the day', '100000'],
      ['--register-share <f>', 'share of the payments that arrive in registers', '0.6'],
      ['--concurrency <n>', 'single payments in flight', '64'],
      ['--accounts <n>', 'demo accounts to pay into', '50000'],
      ['--workers <n>', 'worker processes', '2'],
    ],
    async (opts) => {
      const share = Number(opts.registerShare);
      if (!(share >= 0 && share <= 1)) throw new CliError(`--register-share must be between 0 and 1, got ${opts.registerShare}`);
      const { runDayBench } = require('../../bench/day') as typeof import('../../bench/day');
      return runDayBench({
        payments: positive(opts.payments, '--payments'), registerShare: share, concurrency: positive(opts.concurrency, '--concurrency'),
        accounts: positive(opts.accounts, '--accounts'), workers: positive(opts.workers, '--workers'), engine: engineOf(opts.engine),
      });
    },
  );
}

function registerProviderRegistersBench(program: Command): void {
  benchCommand<{ payments: string; accounts: string; workers: string; monthDays: string; transferParts: string } & EngineOpts>(
    program, 'bench-provider-registers',
    'benchmark: the peak day\'s providers\' registers built and pushed to their webhooks after the last list, then a month of reported transfers matched; last line is JSON',
    [
      ['--payments <n>', 'payments in the day (in the five banks\' day registers; bench:day\'s peak is 100000, the default is smaller for this shared 2-core machine)', '20000'],
      ['--accounts <n>', 'demo accounts to pay into', '20000'],
      ['--workers <n>', 'worker processes', '2'],
      ['--month-days <n>', 'earlier list days of the month (copies of the peak day)', '21'],
      ['--transfer-parts <n>', 'credits per list line in the providers\' statements', '4'],
    ],
    async (opts) => {
      const { runProviderRegistersBench } = require('../../bench/provider-registers') as typeof import('../../bench/provider-registers');
      return runProviderRegistersBench({
        payments: positive(opts.payments, '--payments'), accounts: positive(opts.accounts, '--accounts'), workers: positive(opts.workers, '--workers'),
        monthDays: positive(opts.monthDays, '--month-days'), transferParts: positive(opts.transferParts, '--transfer-parts'), engine: engineOf(opts.engine),
      });
    },
  );
}

function registerMonthBench(program: Command): void {
  benchCommand<{ accounts: string; payments?: string; before: string } & EngineOpts>(
    program, 'bench-month', 'benchmark, the SPC\'s month: a register of payments, every account × 8 services as charge lines (one CSV per provider through the provider API), the period close and the next invoices, with a cashier probe before and during; last line is JSON',
    [
      ['--accounts <n>', 'demo accounts charged', '50000'],
      ['--payments <n>', 'payments in the month\'s register (default: one per 10 accounts)'],
      ['--before <s>', 'seconds of probing before the month\'s work, at least', '20'],
    ],
    async (opts) => {
      const accounts = positive(opts.accounts, '--accounts');
      const { runMonthBench } = require('../../bench/month') as typeof import('../../bench/month');
      return runMonthBench({
        accounts, payments: opts.payments === undefined ? Math.max(1, Math.floor(accounts / 10)) : positive(opts.payments, '--payments'),
        beforeS: positive(opts.before, '--before'), engine: engineOf(opts.engine),
      });
    },
  );
}

function registerSettlementBench(program: Command): void {
  program
    .command('bench-settlement')
    .description('benchmark: settle one bank-day of N generated payments through the real workflow, in a scratch database; last line is JSON')
    .option('--payments <n>', 'payments in the day', '100000')
    .action(async (opts: { payments: string }) => {
      const payments = positive(opts.payments, '--payments');
      const { runSettlementBench } = require('../../bench/settlement') as typeof import('../../bench/settlement');
      const result = await runSettlementBench({ payments });
      // Valid JSON, spaced as the issue writes it: {"payments":…, "settle_s":…, "sql_s":…, "ratio":…, "peak_rss_mb":…}
      process.stdout.write(`{${Object.entries(result).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}\n`);
    });
}

export function registerBenchCommands(program: Command): void {
  registerEngineBench(program);
  registerHouseholdBenches(program);
  registerCabinetBench(program);
  registerRegisterAndCutoffBench(program);
  registerDayBench(program);
  registerProviderRegistersBench(program);
  registerSettlementBench(program);
  registerMonthBench(program);
}
