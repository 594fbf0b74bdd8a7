// The period audit's queries (audit/period.ts). Each returns the rows that break one rule, at most
// PERIOD_BREACHES_MAX. They read the balances, the charges, the payments and the ledger as they
// stand, and recompute in their own SQL what the close computed (activities/period-close-sql.ts).

export const PERIOD_BREACHES_MAX = 100;

/** Per provider and in total: Σ closing against Σ opening + Σ charged + Σ recalculated − Σ paid + Σ corrected. */
export const TOTALS_BY_PROVIDER_SQL = `
SELECT COALESCE(provider_id, '(total)') AS provider, sum(opening)::text AS opening, sum(charged)::text AS charged,
       sum(recalculated)::text AS recalculated, sum(paid)::text AS paid, sum(corrected)::text AS corrected, sum(closing)::text AS closing,
       (sum(closing) = sum(opening) + sum(charged) + sum(recalculated) - sum(paid) + sum(corrected)) AS adds_up
  FROM period_balances WHERE period = :period::date
 GROUP BY ROLLUP (provider_id) ORDER BY provider_id NULLS LAST`;

/** The providers' current charges for the period against what the balances carry, per provider. */
export const CHARGES_SQL = `
WITH c AS (SELECT provider_id, sum(charged) AS charged, sum(recalculated) AS recalculated FROM period_charges_current WHERE period = :period::date GROUP BY provider_id),
     b AS (SELECT provider_id, sum(charged) AS charged, sum(recalculated) AS recalculated FROM period_balances WHERE period = :period::date GROUP BY provider_id)
SELECT COALESCE(c.provider_id, b.provider_id) AS provider, COALESCE(c.charged, 0)::text AS uploaded_charged, COALESCE(b.charged, 0)::text AS charged,
       COALESCE(c.recalculated, 0)::text AS uploaded_recalculated, COALESCE(b.recalculated, 0)::text AS recalculated
  FROM c FULL JOIN b ON b.provider_id = c.provider_id
 WHERE COALESCE(c.charged, 0) <> COALESCE(b.charged, 0) OR COALESCE(c.recalculated, 0) <> COALESCE(b.recalculated, 0)
 LIMIT ${PERIOD_BREACHES_MAX}`;

/** The allocations of the payments counted for the period against Σ paid, per provider. */
export const PAID_SQL = `
WITH a AS (SELECT al.provider_id, sum(al.amount) AS paid FROM period_counted k JOIN allocations al ON al.payment_id = k.source_id::bigint
            WHERE k.period = :period::date AND k.source = 'payment' GROUP BY al.provider_id),
     b AS (SELECT provider_id, sum(paid) AS paid FROM period_balances WHERE period = :period::date GROUP BY provider_id)
SELECT COALESCE(a.provider_id, b.provider_id) AS provider, COALESCE(a.paid, 0)::text AS allocated, COALESCE(b.paid, 0)::text AS paid
  FROM a FULL JOIN b ON b.provider_id = a.provider_id
 WHERE COALESCE(a.paid, 0) <> COALESCE(b.paid, 0)
 LIMIT ${PERIOD_BREACHES_MAX}`;

/** The ledger's receivable per provider after the period's transaction against Σ closing. */
export const RECEIVABLE_SQL = `
WITH l AS (SELECT substr(lp.account, 12) AS provider_id, sum(lp.debit - lp.credit) AS receivable
             FROM ledger_transactions t JOIN ledger_postings lp ON lp.transaction_id = t.id
            WHERE t.kind = 'period' AND t.period <= :period::date AND lp.account LIKE 'receivable:%' GROUP BY 1),
     b AS (SELECT provider_id, sum(closing) AS closing FROM period_balances WHERE period = :period::date GROUP BY provider_id)
SELECT COALESCE(l.provider_id, b.provider_id) AS provider, COALESCE(l.receivable, 0)::text AS receivable, COALESCE(b.closing, 0)::text AS closing
  FROM l FULL JOIN b ON b.provider_id = l.provider_id
 WHERE COALESCE(l.receivable, 0) <> COALESCE(b.closing, 0)
 LIMIT ${PERIOD_BREACHES_MAX}`;

/** The latest version of each account's invoice of a period (:which). */
const latestLines = (which: string) => `
SELECT i.account_number, l.service_code, l.opening_balance FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
 WHERE i.period = ${which}::date
   AND NOT EXISTS (SELECT 1 FROM invoices j WHERE j.account_number = i.account_number AND j.period = i.period AND j.version > i.version)`;

/** Invoice openings against closings: the period's invoice against the previous close, the next invoice against this close. */
export const OPENINGS_SQL = `
WITH this_inv AS (${latestLines(':period')}), next_inv AS (${latestLines(':next')})
SELECT 'invoice ' || to_char(:period::date, 'YYYY-MM') AS invoice, x.account_number, x.service_code, x.opening_balance::text AS opening, p.closing::text AS closing
  FROM this_inv x JOIN period_balances p ON p.period = :previous::date AND p.account_number = x.account_number AND p.service_code = x.service_code
 WHERE x.opening_balance <> p.closing
UNION ALL
SELECT 'balances ' || to_char(:period::date, 'YYYY-MM'), b.account_number, b.service_code, b.opening::text, COALESCE(x.opening_balance, 0)::text
  FROM period_balances b LEFT JOIN this_inv x ON x.account_number = b.account_number AND x.service_code = b.service_code
 WHERE b.period = :period::date AND b.opening <> COALESCE(x.opening_balance, 0)
UNION ALL
SELECT 'invoice ' || to_char(:next::date, 'YYYY-MM'), n.account_number, n.service_code, n.opening_balance::text, b.closing::text
  FROM next_inv n JOIN period_balances b ON b.period = :period::date AND b.account_number = n.account_number AND b.service_code = n.service_code
 WHERE n.opening_balance <> b.closing
 LIMIT ${PERIOD_BREACHES_MAX}`;

/** Accounts and services that the previous close, the invoice or the charges name and the balances (or the next invoice) miss. */
export const MISSING_SQL = `
WITH this_inv AS (${latestLines(':period')}), next_inv AS (${latestLines(':next')}),
     b AS (SELECT account_number, service_code FROM period_balances WHERE period = :period::date)
SELECT 'previous close' AS source, account_number, service_code FROM period_balances WHERE period = :previous::date
EXCEPT SELECT 'previous close', account_number, service_code FROM b
UNION ALL
(SELECT 'invoice', account_number, service_code FROM this_inv EXCEPT SELECT 'invoice', account_number, service_code FROM b)
UNION ALL
(SELECT 'charges', account_number, service_code FROM period_charges_current WHERE period = :period::date EXCEPT SELECT 'charges', account_number, service_code FROM b)
UNION ALL
(SELECT 'next invoice', account_number, service_code FROM b EXCEPT SELECT 'next invoice', account_number, service_code FROM next_inv)
LIMIT ${PERIOD_BREACHES_MAX}`;
