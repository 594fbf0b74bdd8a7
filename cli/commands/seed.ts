// `spc seed --accounts <n> [--seed <s>] [--period YYYY-MM] [--skip-existing]`: reference data
// plus deterministic Almaty-like demo accounts with this month's invoices.
import type { Command } from 'commander';
import type { Knex } from 'knex';
import { migrateLatest } from '../../db/connection';
import { seedReferenceData, seedDemo, parsePeriod, DemoAlreadySeededError, DEMO_ACCOUNTS_MAX, DEMO_DEFAULT_SEED, SEED_MAX } from '../../db/seed';
import { progressBar, formatDuration } from '../progress';
import { CliError } from '../runtime';

export interface SeedArgs {
  accounts: number;
  seed: number;
  period?: string;
  skipExisting: boolean;
}

function wholeNumber(name: string, raw: string, min: number, max: number): number {
  const cleaned = raw.replace(/_/g, '');
  const value = /^\d{1,10}$/.test(cleaned) ? Number(cleaned) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CliError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** Validates the raw command-line options; a CliError's message says which option to fix and how. */
export function parseSeedArgs(raw: { accounts?: string; seed?: string; period?: string; skipExisting?: boolean }): SeedArgs {
  if (raw.accounts === undefined) throw new CliError('--accounts is required: how many demo accounts to create, e.g. --accounts 10000');
  return {
    accounts: wholeNumber('--accounts', raw.accounts, 1, DEMO_ACCOUNTS_MAX),
    seed: raw.seed === undefined ? DEMO_DEFAULT_SEED : wholeNumber('--seed', raw.seed, 0, SEED_MAX),
    period: raw.period === undefined ? undefined : parsePeriodArg(raw.period),
    skipExisting: raw.skipExisting === true,
  };
}

function parsePeriodArg(raw: string): string {
  try {
    return parsePeriod(raw);
  } catch {
    throw new CliError(`--period must be a month as YYYY-MM (e.g. 2026-11), got "${raw}"`);
  }
}

interface SampleSummary {
  number: string;
  holder_name: string;
  address: string;
  services: string;
  lines_due: string;
  line_count: string;
  total_due: string;
}

async function describeSamples(db: Knex, numbers: string[], period: string): Promise<SampleSummary[]> {
  if (numbers.length === 0) return [];
  const result = await db.raw<{ rows: SampleSummary[] }>(
    `SELECT a.number, a.holder_name, a.address,
            string_agg(l.service_code || ' ' || l.amount_due, ', ' ORDER BY s.sort_order) AS services,
            count(*) FILTER (WHERE l.amount_due > 0)::text AS lines_due,
            count(*)::text AS line_count,
            sum(l.amount_due)::text AS total_due
       FROM personal_accounts a
       JOIN invoices i ON i.account_number = a.number AND i.period = ?
       JOIN invoice_lines l ON l.invoice_id = i.id
       JOIN services s ON s.code = l.service_code
      WHERE a.number = ANY(?)
      GROUP BY a.number, a.holder_name, a.address
      ORDER BY a.number`,
    [period, numbers],
  );
  return result.rows;
}

export function registerSeedCommand(program: Command, getDb: () => Promise<Knex>): void {
  program
    .command('seed')
    .description('load reference data (banks, providers, services, holidays) and deterministic Almaty-like demo accounts with this month\'s invoices')
    .requiredOption('--accounts <n>', `number of demo personal accounts (1..${DEMO_ACCOUNTS_MAX})`)
    .option('--seed <s>', `random seed; the same seed gives the same data (default ${DEMO_DEFAULT_SEED})`)
    .option('--period <YYYY-MM>', 'billing month of the invoices (default: the current month in Asia/Almaty)')
    .option('--skip-existing', 'leave existing demo accounts alone instead of failing')
    .action(async (raw: { accounts?: string; seed?: string; period?: string; skipExisting?: boolean }) => {
      const args = parseSeedArgs(raw);
      const db = await getDb();
      await migrateLatest(db);
      await seedReferenceData(db);
      const startedMs = Date.now();
      const bar = progressBar('seeding accounts', args.accounts);
      let started = false; // no bar at all when the seed stops before loading (existing accounts, skip)
      let result;
      try {
        result = await seedDemo(db, {
          accounts: args.accounts,
          seed: args.seed,
          period: args.period,
          ifExists: args.skipExisting ? 'skip' : 'error',
          onProgress: (done) => {
            started = true;
            bar.tick(done);
          },
        });
      } catch (err) {
        if (started) bar.done();
        if (err instanceof DemoAlreadySeededError) {
          throw new CliError(`the database already has ${err.existing} demo account(s): seed an empty database, or pass --skip-existing to keep them`);
        }
        throw err;
      }
      if (started) bar.done();
      const month = result.period.slice(0, 7);
      if (result.skipped) {
        console.log(`Demo accounts already exist; nothing written (period ${month}).`);
      } else {
        console.log(
          `Seeded ${result.accounts} accounts, ${result.invoices} invoices, ${result.meters} meters and ${result.invoiceLines} invoice lines ` +
            `for ${month} (seed ${args.seed}) in ${formatDuration((Date.now() - startedMs) / 1000)}.`,
        );
      }
      console.log('Sample accounts:');
      for (const s of await describeSamples(db, result.sampleAccounts, result.period)) {
        console.log(`  ${s.number}  ${s.holder_name}, ${s.address}`);
        console.log(`              ${s.total_due} KZT due on ${s.lines_due} of ${s.line_count} services: ${s.services}`);
      }
    });
}
