// `spc audit period --period YYYY-MM` (issue 18 item 6): proves a closed period from the rows, not
// from the close's code. Σ closing = Σ opening + Σ charged + Σ recalculated − Σ paid + Σ corrected
// per provider and in total; the charges are the providers' current uploads; Σ paid is the counted
// payments' allocations; the ledger's receivables per provider equal Σ closing; every invoice line's
// opening equals the previous closing; no account or service is missing.
import type { Knex } from 'knex';
import { isPeriod, nextPeriod, periodDate, previousPeriod, type PeriodAmounts } from '../domain/period';
import { CHARGES_SQL, MISSING_SQL, OPENINGS_SQL, PAID_SQL, RECEIVABLE_SQL, TOTALS_BY_PROVIDER_SQL } from './period-sql';

export type PeriodCheck = 'closed' | 'adds_up' | 'charges' | 'paid' | 'receivable' | 'openings' | 'missing';

export interface PeriodBreach {
  check: PeriodCheck;
  subject: string;
  detail: string;
}

export interface PeriodTotalsRow extends PeriodAmounts {
  provider: string;
}

export interface PeriodAuditReport {
  period: string;
  ok: boolean;
  totals: PeriodTotalsRow[];
  breaches: PeriodBreach[];
}

type Row = Record<string, string>;

export async function auditPeriod(db: Knex, period: string): Promise<PeriodAuditReport> {
  if (!isPeriod(period)) throw new Error(`period "${period}" is not YYYY-MM`);
  const b = { period: periodDate(period), previous: periodDate(previousPeriod(period)), next: periodDate(nextPeriod(period)) };
  const q = async (sql: string): Promise<Row[]> => (await db.raw(sql, b)).rows;
  const breaches: PeriodBreach[] = [];
  const close = await db('period_closes').where({ period: b.period }).first('step');
  if (close?.step !== 'done') breaches.push({ check: 'closed', subject: `period ${period}`, detail: close ? `its close is at step ${close.step}` : 'it has not been closed' });
  const totals = await q(TOTALS_BY_PROVIDER_SQL);
  for (const t of totals) {
    if (!t.adds_up) breaches.push({ check: 'adds_up', subject: `provider ${t.provider}`, detail: `closing ${t.closing} ≠ ${t.opening} + ${t.charged} + ${t.recalculated} − ${t.paid} + ${t.corrected}` });
  }
  for (const r of await q(CHARGES_SQL)) {
    breaches.push({ check: 'charges', subject: `provider ${r.provider}`, detail: `uploaded ${r.uploaded_charged} / ${r.uploaded_recalculated}, balances carry ${r.charged} / ${r.recalculated}` });
  }
  for (const r of await q(PAID_SQL)) breaches.push({ check: 'paid', subject: `provider ${r.provider}`, detail: `counted payments allocate ${r.allocated}, balances say paid ${r.paid}` });
  for (const r of await q(RECEIVABLE_SQL)) breaches.push({ check: 'receivable', subject: `provider ${r.provider}`, detail: `ledger receivable ${r.receivable}, Σ closing ${r.closing}` });
  for (const r of await q(OPENINGS_SQL)) {
    breaches.push({ check: 'openings', subject: `${r.invoice} ${r.account_number}/${r.service_code}`, detail: `opening ${r.opening}, previous closing ${r.closing}` });
  }
  for (const r of await q(MISSING_SQL)) breaches.push({ check: 'missing', subject: `${r.account_number}/${r.service_code}`, detail: `in the ${r.source}, missing from the period's balances or next invoice` });
  const rows = totals.map(({ adds_up: _ignored, ...t }) => t as unknown as PeriodTotalsRow);
  return { period, ok: breaches.length === 0, totals: rows, breaches };
}
