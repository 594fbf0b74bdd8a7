// The period close's activities (issue 18 items 4–6), run by workflows/period.ts in this order:
// begin → count → balance → post → issue. Each is one transaction that checks the close's step and
// moves it on, so a retry (a worker killed mid-step, a lost completion) finds the step done and
// returns what it recorded: nothing is counted, posted or issued twice. The work itself is
// set-based SQL (activities/period-close-sql.ts).
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';
import {
  ACCOUNT_BOUNDS_SQL, BALANCES_SQL, COUNT_CORRECTIONS_SQL, MOVEMENTS_INDEX_SQL, MOVEMENTS_SQL, COUNT_PAYMENTS_SQL, COUNT_REVERSALS_SQL, ISSUE_INVOICES_SQL, ISSUE_LINES_SQL,
  MISSING_PROVIDERS_SQL, PROVIDER_TOTALS_SQL, TOTALS_SQL,
} from './period-close-sql';
import { periodPostings, type ProviderTotals } from './period-ledger';
import { invoiceDueDate, isPeriod, nextPeriod, periodDate, periodLastDay, type PeriodAmounts, type PeriodErrorCode } from '../domain/period';
import type { WrittenBy } from '../domain/settlement-types';

/** One statement of the close may run this long (4 M balances here take about a minute). */
export const PERIOD_STATEMENT_TIMEOUT_MS = 20 * 60_000;
/**
 * Accounts per batch of the balances and the issue (about 200,000 lines at 8 services): the hash
 * tables of one batch fit in PERIOD_WORK_MEM, where one statement over 100,000 accounts already
 * spilled to disk; more batches would only add per-statement costs.
 */
export const PERIOD_BATCH_ACCOUNTS = 25_000;
/** Memory per hash table of a close's statement (Postgres work_mem); a batch's numeric sums take about 150 MB. */
export const PERIOD_WORK_MEM = '192MB';

/** The account ranges (from, to] of the batches; the first starts below every number, the last is open. */
async function accountRanges(trx: Knex.Transaction): Promise<Array<{ from: string; to: string | null }>> {
  const bounds: string[] = (await trx.raw(ACCOUNT_BOUNDS_SQL, { size: PERIOD_BATCH_ACCOUNTS })).rows.map((r: { number: string }) => r.number);
  return [...bounds, null].map((to, i) => ({ from: i === 0 ? '' : (bounds[i - 1] as string), to }));
}

export type PeriodStep = 'counting' | 'balancing' | 'posting' | 'issuing' | 'done';

export interface PeriodBegun {
  ok: true;
  step: PeriodStep;
  missingProviders: string[];
}
export interface PeriodRefusal {
  ok: false;
  code: PeriodErrorCode;
  message: string;
}

export interface PeriodTotals extends PeriodAmounts {
  balances: number;
}

/** Runs `work` in a transaction if the close is at `step`, then moves it to `next`; false when it already had. */
async function inStep(deps: ActivityDeps, period: string, step: PeriodStep, next: PeriodStep, work: (trx: Knex.Transaction) => Promise<void>, isolation?: Knex.IsolationLevels): Promise<boolean> {
  return deps.db.transaction(async (trx) => {
    await trx.raw(`SET LOCAL statement_timeout = ${PERIOD_STATEMENT_TIMEOUT_MS}`);
    await trx.raw(`SET LOCAL work_mem = '${PERIOD_WORK_MEM}'`);
    const row = await trx('period_closes').where({ period: periodDate(period) }).forUpdate().first('step');
    if (!row) throw new Error(`invariant: period ${period} has no close`);
    if (row.step !== step) return false;
    await work(trx);
    await trx('period_closes').where({ period: periodDate(period) }).update({ step: next, ...(next === 'done' ? { finished_at: deps.clock() } : {}) });
    return true;
  }, isolation ? { isolationLevel: isolation } : undefined);
}

async function beginPeriodClose(deps: ActivityDeps, input: { period: string; startedBy: string; workflowId: string }): Promise<PeriodBegun | PeriodRefusal> {
  if (!isPeriod(input.period)) return { ok: false, code: 'INVALID_PERIOD', message: `period "${input.period}" is not YYYY-MM` };
  const period = periodDate(input.period);
  return deps.db.transaction(async (trx) => {
    await trx.raw('INSERT INTO billing_periods (period) VALUES (?) ON CONFLICT DO NOTHING', [period]);
    const existing = await trx('period_closes').where({ period }).first('step', 'missing_providers');
    if (existing) return { ok: true as const, step: existing.step, missingProviders: existing.missing_providers };
    const earlier = await trx('billing_periods').where('period', '<', period).whereNot('state', 'closed').orderBy('period').first(trx.raw("to_char(period, 'YYYY-MM') AS p"));
    if (earlier) return { ok: false as const, code: 'PERIOD_OUT_OF_ORDER' as const, message: `period ${earlier.p} is not closed yet: close it before ${input.period}` };
    // From here on no upload of the period's charges is accepted (the intake checks the state).
    await trx('billing_periods').where({ period, state: 'open' }).update({ state: 'closing' });
    const missing = (await trx.raw(MISSING_PROVIDERS_SQL, { period })).rows.map((r: { id: string }) => r.id);
    await trx('period_closes').insert({ period, workflow_id: input.workflowId, started_by: input.startedBy, step: 'counting', missing_providers: missing });
    return { ok: true as const, step: 'counting' as const, missingProviders: missing };
  });
}

async function countPeriodPayments(deps: ActivityDeps, input: { period: string }): Promise<{ counted: number }> {
  const period = periodDate(input.period);
  // One snapshot for the three statements: a payment is either counted as paid here or, cancelled
  // later, its reversal is counted by a later close.
  await inStep(deps, input.period, 'counting', 'balancing', async (trx) => {
    const paid = await trx.raw(COUNT_PAYMENTS_SQL, { period });
    await trx.raw(COUNT_REVERSALS_SQL, { period });
    await trx.raw(COUNT_CORRECTIONS_SQL, { period });
    await trx('period_closes').where({ period }).update({ payments_counted: paid.rowCount ?? 0 });
  }, 'repeatable read');
  const row = await deps.db('period_closes').where({ period }).first('payments_counted');
  return { counted: row.payments_counted };
}

async function computePeriodBalances(deps: ActivityDeps, input: { period: string }): Promise<PeriodTotals> {
  const period = periodDate(input.period);
  await inStep(deps, input.period, 'balancing', 'posting', async (trx) => {
    await trx.raw(MOVEMENTS_SQL, { period });
    for (const statement of MOVEMENTS_INDEX_SQL) await trx.raw(statement);
    for (const range of await accountRanges(trx)) await trx.raw(BALANCES_SQL, { period, ...range });
    const t: PeriodTotals = (await trx.raw(TOTALS_SQL, { period })).rows[0];
    await trx('period_closes').where({ period }).update({
      balances: t.balances, opening_total: t.opening, charged_total: t.charged, recalculated_total: t.recalculated,
      paid_total: t.paid, corrected_total: t.corrected, closing_total: t.closing,
    });
  });
  return (await deps.db.raw(TOTALS_SQL, { period })).rows[0];
}

async function postPeriodLedger(deps: ActivityDeps, input: { period: string; writtenBy: WrittenBy }): Promise<{ postings: number }> {
  const period = periodDate(input.period);
  let postings = 0;
  await inStep(deps, input.period, 'posting', 'issuing', async (trx) => {
    const totals: ProviderTotals[] = (await trx.raw(PROVIDER_TOTALS_SQL, { period })).rows;
    const earlier = await trx('ledger_transactions').where({ kind: 'period' }).where('period', '<', period).first('id');
    const rows = periodPostings(totals, !earlier);
    const [tx] = await trx('ledger_transactions').insert({
      kind: 'period', period, business_date: periodLastDay(input.period), workflow_id: input.writtenBy.workflowId, run_id: input.writtenBy.runId,
    }).returning('id');
    if (rows.length > 0) await trx('ledger_postings').insert(rows.map((r) => ({ transaction_id: tx.id, ...r })));
    postings = rows.length;
  });
  return { postings };
}

async function issueNextInvoices(deps: ActivityDeps, input: { period: string }): Promise<{ period: string; invoices: number; dueDate: string }> {
  const period = periodDate(input.period);
  const nextName = nextPeriod(input.period);
  const next = periodDate(nextName);
  const dueDate = invoiceDueDate(nextName, await deps.reference.calendar());
  await inStep(deps, input.period, 'issuing', 'done', async (trx) => {
    await trx.raw('INSERT INTO billing_periods (period) VALUES (?) ON CONFLICT DO NOTHING', [next]);
    const ranges = await accountRanges(trx);
    let issued = 0;
    for (const range of ranges) issued += (await trx.raw(ISSUE_INVOICES_SQL, { period, next, dueDate, ...range })).rowCount ?? 0;
    // The headers just written are not in the statistics yet (and the worker's role may not ANALYZE
    // a table it does not own): planned for one invoice, the lines' join nested-loops over the
    // aggregated lines once per invoice, quadratic (20,000 accounts did not finish in 400 s). Every
    // join of the lines statement is by key over the whole period, so hash joins are right anyway.
    await trx.raw('SET LOCAL enable_nestloop = off');
    for (const range of ranges) await trx.raw(ISSUE_LINES_SQL, { period, next, ...range });
    await trx.raw('SET LOCAL enable_nestloop = on');
    const now = deps.clock();
    await trx('period_closes').where({ period }).update({ invoices_issued: issued, next_due_date: dueDate });
    await trx('billing_periods').where({ period }).update({ state: 'closed', closed_at: now });
  });
  const row = await deps.db('period_closes').where({ period }).first('invoices_issued');
  return { period: nextName, invoices: row.invoices_issued, dueDate };
}

export function createPeriodActivities(deps: ActivityDeps) {
  return {
    beginPeriodClose: (input: Parameters<typeof beginPeriodClose>[1]) => beginPeriodClose(deps, input),
    countPeriodPayments: (input: { period: string }) => countPeriodPayments(deps, input),
    computePeriodBalances: (input: { period: string }) => computePeriodBalances(deps, input),
    postPeriodLedger: (input: Parameters<typeof postPeriodLedger>[1]) => postPeriodLedger(deps, input),
    issueNextInvoices: (input: { period: string }) => issueNextInvoices(deps, input),
  };
}

export type PeriodActivities = ReturnType<typeof createPeriodActivities>;
