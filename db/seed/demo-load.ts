// Loading the demo accounts: rows streamed into Postgres with COPY inside one transaction, so half
// a million accounts take minutes and a failure leaves nothing behind.
import type { Knex } from 'knex';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SEED_MAX } from './random';
import { currentPeriod, dueDateFor, parsePeriod } from './demo-period';
import { DEMO_TARIFFS_TIYN } from './demo-charges';
import { amountDueTiyn, DEMO_DEFAULT_SEED, FIRST_ACCOUNT_NUMBER, formatMilli, formatTiyn, generateDemoAccounts, lastPossibleAccountNumber, SAMPLE_ACCOUNTS, type DemoAccount } from './demo-generate';

/** Upper bound on one seed run: ten times the accounts of Almaty's SPC is a typo, not a demo. */
export const DEMO_ACCOUNTS_MAX = 5_000_000;
/** Accounts per COPY round: about 45,000 rows, a few MB of text. */
export const DEMO_BATCH_ACCOUNTS = 5_000;

export interface DemoSeedOptions {
  accounts: number;
  seed?: number;
  /** YYYY-MM-01 (YYYY-MM accepted); default: the current month in Asia/Almaty. */
  period?: string;
  onProgress?: (done: number, total: number) => void;
  /** What to do when demo accounts already exist: refuse (default) or leave them and return. */
  ifExists?: 'error' | 'skip';
}

export interface DemoSeedResult {
  accounts: number;
  invoices: number;
  meters: number;
  invoiceLines: number;
  period: string;
  sampleAccounts: string[];
  /** True when ifExists = 'skip' found demo accounts and wrote nothing. */
  skipped: boolean;
}

/** Thrown when the demo accounts are already in the database; seed a fresh database instead. */
export class DemoAlreadySeededError extends Error {
  override name = 'DemoAlreadySeededError';
  constructor(readonly existing: number) {
    super(
      `the database already has ${existing} demo account(s) numbered from ${FIRST_ACCOUNT_NUMBER}: ` +
        'seed an empty database (or drop and re-create it), or pass ifExists: "skip" to keep them',
    );
  }
}

// Text-format COPY: a tab, newline or backslash inside a value would need escaping; our values
// never contain one, and this guard keeps it that way.
const COPY_UNSAFE = /[\t\n\r\\]/;

function copySafe(value: string): string {
  if (COPY_UNSAFE.test(value)) throw new Error(`invariant: ${JSON.stringify(value)} would break COPY text format`);
  return value;
}

async function copyRows(client: Client, sql: string, text: string): Promise<void> {
  if (text.length === 0) return;
  await pipeline(Readable.from([Buffer.from(text, 'utf8')]), client.query(copyFrom(sql)));
}

interface IdCursor {
  nextMeterId: bigint;
  nextInvoiceId: bigint;
}

interface CopyBatch {
  accounts: string;
  meters: string;
  invoices: string;
  lines: string;
  accountCount: number;
  meterCount: number;
  lineCount: number;
}

/** Accounts built between two yields to the event loop, so a COPY in flight keeps streaming. */
const BUILD_SLICE_ACCOUNTS = 250;

/** The COPY text of the next `size` accounts, taking meter and invoice ids from `ids`. */
async function buildBatch(
  source: Iterator<DemoAccount>,
  size: number,
  ids: IdCursor,
  invoice: { period: string; dueDate: string; issuedAt: string },
): Promise<CopyBatch> {
  const accountRows: string[] = [];
  const meterRows: string[] = [];
  const invoiceRows: string[] = [];
  const lineRows: string[] = [];
  for (let k = 0; k < size; k++) {
    if (k > 0 && k % BUILD_SLICE_ACCOUNTS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const next = source.next();
    if (next.done) throw new Error('invariant: the demo generator stopped early');
    const account = next.value;
    accountRows.push(`${account.number}\t${copySafe(account.holderName)}\t${copySafe(account.address)}\n`);
    const invoiceId = ids.nextInvoiceId++;
    invoiceRows.push(`${invoiceId}\t${account.number}\t${invoice.period}\t${invoice.dueDate}\t${invoice.issuedAt}\n`);
    for (const line of account.lines) {
      let meterColumn = '\\N';
      let readingColumn = '\\N';
      if (line.meter) {
        const meterId = ids.nextMeterId++;
        meterRows.push(`${meterId}\t${account.number}\t${line.service}\t${copySafe(line.meter.serial)}\n`);
        meterColumn = String(meterId);
        readingColumn = formatMilli(line.meter.previousReadingMilli);
      }
      lineRows.push(
        `${invoiceId}\t${line.service}\t${formatTiyn(line.openingTiyn)}\t${formatTiyn(line.chargedTiyn)}\t${formatTiyn(amountDueTiyn(line))}\t${meterColumn}\t${readingColumn}\n`,
      );
    }
  }
  return {
    accounts: accountRows.join(''),
    meters: meterRows.join(''),
    invoices: invoiceRows.join(''),
    lines: lineRows.join(''),
    accountCount: accountRows.length,
    meterCount: meterRows.length,
    lineCount: lineRows.length,
  };
}

/** Loads one batch; the order follows the foreign keys (accounts, then meters and invoices, then lines). */
async function copyBatch(client: Client, batch: CopyBatch): Promise<void> {
  await copyRows(client, 'COPY personal_accounts (number, holder_name, address) FROM STDIN', batch.accounts);
  await copyRows(client, 'COPY meters (id, account_number, service_code, serial_no) FROM STDIN', batch.meters);
  await copyRows(client, 'COPY invoices (id, account_number, period, due_date, issued_at) FROM STDIN', batch.invoices);
  await copyRows(client, 'COPY invoice_lines (invoice_id, service_code, opening_balance, charged, amount_due, meter_id, previous_reading) FROM STDIN', batch.lines);
}

interface KnexClientWithPool {
  acquireConnection(): Promise<Client>;
  releaseConnection(connection: Client): Promise<void>;
}

function validateOptions(opts: DemoSeedOptions): { accounts: number; seed: number; period: string } {
  if (!Number.isInteger(opts.accounts) || opts.accounts < 1 || opts.accounts > DEMO_ACCOUNTS_MAX) {
    throw new Error(`accounts must be a whole number from 1 to ${DEMO_ACCOUNTS_MAX}, got ${opts.accounts}`);
  }
  const seed = opts.seed ?? DEMO_DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > SEED_MAX) throw new Error(`seed must be a whole number from 0 to ${SEED_MAX}, got ${seed}`);
  return { accounts: opts.accounts, seed, period: parsePeriod(opts.period ?? currentPeriod()) };
}

export async function seedDemo(db: Knex, opts: DemoSeedOptions): Promise<DemoSeedResult> {
  const { accounts, seed, period } = validateOptions(opts);
  const dueDate = dueDateFor(period);
  const issuedAt = `${period} 00:00:00+05`;
  const sampleAccounts = SAMPLE_ACCOUNTS.slice(0, Math.min(accounts, SAMPLE_ACCOUNTS.length));
  const pool = db.client as unknown as KnexClientWithPool;
  const client = await pool.acquireConnection();
  const counts = { meters: 0, invoiceLines: 0 };
  let inFlight: Promise<void> = Promise.resolve();
  try {
    await client.query('BEGIN');
    // Writers of these tables wait until we commit; readers (and payments) are not blocked. The
    // lock also keeps anyone else from taking ids out of the ranges we assign below.
    await client.query('LOCK TABLE personal_accounts, meters, invoices, invoice_lines IN SHARE ROW EXCLUSIVE MODE');

    const services = await client.query<{ code: string }>('SELECT code FROM services WHERE code = ANY($1)', [Object.keys(DEMO_TARIFFS_TIYN)]);
    if (services.rows.length !== Object.keys(DEMO_TARIFFS_TIYN).length) {
      throw new Error('reference data is missing (services): run seedReferenceData first (`spc seed` does both)');
    }
    const existing = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM personal_accounts WHERE length(number) = 10 AND number BETWEEN $1 AND $2',
      [String(FIRST_ACCOUNT_NUMBER), String(lastPossibleAccountNumber(accounts))],
    );
    const existingCount = Number(existing.rows[0]?.n ?? 0);
    if (existingCount > 0) {
      await client.query('ROLLBACK');
      if (opts.ifExists === 'skip') return { accounts: 0, invoices: 0, meters: 0, invoiceLines: 0, period, sampleAccounts, skipped: true };
      throw new DemoAlreadySeededError(existingCount);
    }

    // Ids are assigned here, not by the sequences row by row, so that lines can name their
    // invoice and meter in the same COPY stream; the sequences are moved past them at the end.
    const seqRow = await client.query<{ meter_id: string; invoice_id: string }>(
      `SELECT nextval(pg_get_serial_sequence('meters', 'id')) AS meter_id, nextval(pg_get_serial_sequence('invoices', 'id')) AS invoice_id`,
    );

    opts.onProgress?.(0, accounts);
    const ids: IdCursor = { nextMeterId: BigInt(seqRow.rows[0]?.meter_id ?? '1'), nextInvoiceId: BigInt(seqRow.rows[0]?.invoice_id ?? '1') };
    const invoice = { period, dueDate, issuedAt };
    const generator = generateDemoAccounts(accounts, seed, period);
    let built = 0;
    let done = 0;
    // Two stages in flight: Postgres loads batch k while we build batch k + 1.
    while (built < accounts) {
      const batch = await buildBatch(generator, Math.min(DEMO_BATCH_ACCOUNTS, accounts - built), ids, invoice);
      built += batch.accountCount;
      await inFlight;
      inFlight = copyBatch(client, batch).then(() => {
        done += batch.accountCount;
        counts.meters += batch.meterCount;
        counts.invoiceLines += batch.lineCount;
        opts.onProgress?.(done, accounts);
      });
      inFlight.catch(() => undefined); // awaited on the next turn or below; this only marks it handled
    }
    await inFlight;

    // setval(seq, n, true): the next nextval returns n + 1. When no meter was made, hand back the
    // id we took (is_called = false makes the next nextval return it).
    await client.query(
      `SELECT setval(pg_get_serial_sequence('meters', 'id'), $1::bigint, $2), setval(pg_get_serial_sequence('invoices', 'id'), $3::bigint, $4)`,
      [
        String(counts.meters > 0 ? ids.nextMeterId - 1n : ids.nextMeterId),
        counts.meters > 0,
        String(ids.nextInvoiceId - 1n),
        true,
      ],
    );
    await client.query('COMMIT');
  } catch (error) {
    await inFlight.catch(() => undefined);
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await pool.releaseConnection(client);
  }
  // Fresh statistics, so the first payments do not plan against an empty table.
  await db.raw('ANALYZE personal_accounts, meters, invoices, invoice_lines');
  return { accounts, invoices: accounts, meters: counts.meters, invoiceLines: counts.invoiceLines, period, sampleAccounts, skipped: false };
}
