// The period close's statements (activities/period-close.ts runs them). Each is one set-based
// statement over every account of the period, or of one account range (a batch): 500,000 accounts
// × 8 services are a few dozen statements, never a loop over rows in Node. Parameters are named
// (knex :name bindings); periods are first days (DATE).

/** Counts, once, every payment that stands and no close has counted yet: it is paid in this period. */
export const COUNT_PAYMENTS_SQL = `
INSERT INTO period_counted (source, source_id, period)
SELECT 'payment', p.id::text, :period::date
  FROM payments p
 WHERE p.status = 'accepted'
   AND NOT EXISTS (SELECT 1 FROM period_counted k WHERE k.source = 'payment' AND k.source_id = p.id::text)
ON CONFLICT DO NOTHING`;

/** Counts the reversal (cancelled, excluded, corrected in its open day) of a payment an earlier close counted. */
export const COUNT_REVERSALS_SQL = `
INSERT INTO period_counted (source, source_id, period)
SELECT 'reversal', k.source_id, :period::date
  FROM period_counted k
  JOIN payments p ON p.id = k.source_id::bigint
 WHERE k.source = 'payment' AND p.status <> 'accepted'
   AND NOT EXISTS (SELECT 1 FROM period_counted r WHERE r.source = 'reversal' AND r.source_id = k.source_id)
ON CONFLICT DO NOTHING`;

/** Counts every correction applied after its payment's bank-day closed (the money moved, or was refunded). */
export const COUNT_CORRECTIONS_SQL = `
INSERT INTO period_counted (source, source_id, period)
SELECT 'correction', c.id, :period::date
  FROM corrections c
 WHERE c.status = 'applied' AND c.mode = 'adjusted'
   AND NOT EXISTS (SELECT 1 FROM period_counted k WHERE k.source = 'correction' AND k.source_id = c.id)
ON CONFLICT DO NOTHING`;

/**
 * An account range of one batch (accounts in (:from, :to], :to null for the last batch): the
 * balances and the issue run one statement per range, so each statement's hash tables fit in
 * memory at 500,000 accounts (one statement over all of them spilled to disk and held gigabytes).
 */
const inBatch = (column: string) => `${column} > :from AND (:to::text IS NULL OR ${column} <= :to)`;

/** The upper bounds of account ranges of :size accounts each (ascending); the last range is open. */
export const ACCOUNT_BOUNDS_SQL = `
SELECT number FROM (SELECT number, row_number() OVER (ORDER BY number) AS n FROM personal_accounts) x
 WHERE n % :size = 0 ORDER BY number`;

/**
 * The period's movements (what was paid and corrected) per account and service, once per close in
 * a temporary table (dropped at commit) that every batch of BALANCES_SQL joins by key:
 * - paid: the allocations of the payments this close counted;
 * - corrected: a counted payment's reversal gives its split back; an after-close correction gives
 *   back the split it replaced (on the account it left) and takes the new one (on the account it moved to).
 */
export const MOVEMENTS_SQL = `
CREATE TEMPORARY TABLE period_movements ON COMMIT DROP AS
WITH counted AS (
  SELECT source, source_id FROM period_counted WHERE period = :period::date
), moves (account_number, service_code, paid, corrected) AS (
  SELECT p.account_number, a.service_code, a.amount, 0
    FROM counted k JOIN payments p ON p.id = k.source_id::bigint JOIN allocations a ON a.payment_id = p.id WHERE k.source = 'payment'
  UNION ALL
  SELECT p.account_number, a.service_code, 0, a.amount
    FROM counted k JOIN payments p ON p.id = k.source_id::bigint JOIN allocations a ON a.payment_id = p.id WHERE k.source = 'reversal'
  UNION ALL
  SELECT c.account_from, o.service, 0, o.amount
    FROM counted k JOIN corrections c ON c.id = k.source_id
   CROSS JOIN LATERAL jsonb_to_recordset(c.old_allocations) AS o(service text, amount numeric) WHERE k.source = 'correction'
  UNION ALL
  SELECT COALESCE(c.account_to, c.account_from), n.service, 0, -n.amount
    FROM counted k JOIN corrections c ON c.id = k.source_id
   CROSS JOIN LATERAL jsonb_to_recordset(c.new_allocations) AS n(service text, amount numeric) WHERE k.source = 'correction'
)
SELECT account_number, service_code, sum(paid) AS paid, sum(corrected) AS corrected FROM moves GROUP BY account_number, service_code`;

/** Its index and statistics: the batches find their range by key, and the planner knows its size. */
export const MOVEMENTS_INDEX_SQL = ['CREATE INDEX ON period_movements (account_number)', 'ANALYZE period_movements'];

/**
 * Every figure of every account and service of one account range in the period, one row each:
 * - opening: the line of the period's invoice (its latest version), which the previous close issued
 *   with the previous closing (the first close takes the seeded invoices' openings);
 * - charged, recalculated: the lines of the providers' current uploads for the period (the rows of
 *   period_charges_current, summed per account and service here rather than also per provider);
 * - paid, corrected: the period's movements (MOVEMENTS_SQL).
 * Each of the three is one row per account and service, so they are joined by key (full joins: a
 * key of any one of them is a balance) rather than stacked and grouped: grouping 4 M stacked rows
 * kept five numeric sums per group in memory and was most of the statement's time.
 */
export const BALANCES_SQL = `
WITH invoice AS (
  SELECT i.id, i.account_number FROM invoices i
   WHERE i.period = :period::date AND ${inBatch('i.account_number')}
     AND NOT EXISTS (SELECT 1 FROM invoices j WHERE j.account_number = i.account_number AND j.period = i.period AND j.version > i.version)
), opening AS (
  -- The id range is redundant with the join; it lets the batch read its lines by key, not scan them
  -- all (invoices are issued batch by batch in account order, so a range's ids are close together).
  SELECT i.account_number, l.service_code, l.opening_balance AS opening FROM invoice i JOIN invoice_lines l ON l.invoice_id = i.id
   WHERE l.invoice_id BETWEEN (SELECT min(id) FROM invoice) AND (SELECT max(id) FROM invoice)
), charges AS (
  SELECT l.account_number, l.service_code,
         COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'charge'), 0) AS charged,
         COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'recalculation'), 0) AS recalculated
    FROM charge_uploads u JOIN charge_lines l ON l.upload_id = u.upload_id
   WHERE u.period = :period::date AND u.state = 'done' AND ${inBatch('l.account_number')}
   GROUP BY l.account_number, l.service_code
), moves AS (
  SELECT m.account_number, m.service_code, m.paid, m.corrected FROM period_movements m WHERE ${inBatch('m.account_number')}
), figures AS (
  SELECT COALESCE(oc.account_number, m.account_number) AS account_number, COALESCE(oc.service_code, m.service_code) AS service_code,
         COALESCE(oc.opening, 0) AS opening, COALESCE(oc.charged, 0) AS charged, COALESCE(oc.recalculated, 0) AS recalculated,
         COALESCE(m.paid, 0) AS paid, COALESCE(m.corrected, 0) AS corrected
    FROM (SELECT COALESCE(o.account_number, c.account_number) AS account_number, COALESCE(o.service_code, c.service_code) AS service_code,
                 o.opening, c.charged, c.recalculated
            FROM opening o FULL JOIN charges c ON c.account_number = o.account_number AND c.service_code = o.service_code) oc
    FULL JOIN moves m ON m.account_number = oc.account_number AND m.service_code = oc.service_code
)
INSERT INTO period_balances (period, account_number, service_code, provider_id, opening, charged, recalculated, paid, corrected, closing)
SELECT :period::date, f.account_number, f.service_code, s.provider_id, f.opening, f.charged, f.recalculated, f.paid, f.corrected,
       f.opening + f.charged + f.recalculated - f.paid + f.corrected
  FROM figures f JOIN services s ON s.code = f.service_code
ON CONFLICT DO NOTHING`;

/** The period's totals per provider, from its balances (what the ledger transaction posts). */
export const PROVIDER_TOTALS_SQL = `
SELECT provider_id, sum(opening)::text AS opening, sum(charged + recalculated)::text AS billed, sum(paid - corrected)::text AS collected
  FROM period_balances WHERE period = :period::date GROUP BY provider_id ORDER BY provider_id`;

/** The period's totals. */
export const TOTALS_SQL = `
SELECT count(*)::int AS balances, COALESCE(sum(opening), 0)::text AS opening, COALESCE(sum(charged), 0)::text AS charged,
       COALESCE(sum(recalculated), 0)::text AS recalculated, COALESCE(sum(paid), 0)::text AS paid,
       COALESCE(sum(corrected), 0)::text AS corrected, COALESCE(sum(closing), 0)::text AS closing
  FROM period_balances WHERE period = :period::date`;

/** Headers of the next period's invoices: one per account of the closed period or charged in the next. */
export const ISSUE_INVOICES_SQL = `
INSERT INTO invoices (account_number, period, due_date, version)
SELECT u.account_number, :next::date, :dueDate::date, 1
  FROM (SELECT account_number FROM period_balances WHERE period = :period::date AND ${inBatch('account_number')}
        UNION
        SELECT account_number FROM period_charges_current WHERE period = :next::date AND ${inBatch('account_number')}) u
ON CONFLICT DO NOTHING`;

/**
 * Lines of the next period's invoices: opening = the closing, charged = the providers' charges for
 * the next period so far, previous reading = the meter's last reading of a payment that stands (else
 * what the closed period's invoice said). Every lookup is one grouped pass joined by key (readings
 * per meter, the closed period's latest lines per account and service), never a subquery per line:
 * at 500,000 accounts a per-line lookup planned on a one-row estimate is quadratic.
 */
export const ISSUE_LINES_SQL = `
WITH closing AS (
  SELECT account_number, service_code, closing FROM period_balances WHERE period = :period::date AND ${inBatch('account_number')}
), next_charges AS (
  SELECT l.account_number, l.service_code, COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'charge'), 0) AS charged
    FROM charge_uploads u JOIN charge_lines l ON l.upload_id = u.upload_id
   WHERE u.period = :next::date AND u.state = 'done' AND ${inBatch('l.account_number')}
   GROUP BY l.account_number, l.service_code
), lines AS (
  -- One row per account and service on either side, so joined by key rather than stacked and grouped.
  SELECT COALESCE(b.account_number, c.account_number) AS account_number, COALESCE(b.service_code, c.service_code) AS service_code,
         COALESCE(b.closing, 0) AS opening, COALESCE(c.charged, 0) AS charged
    FROM closing b FULL JOIN next_charges c ON c.account_number = b.account_number AND c.service_code = b.service_code
), last_reading AS (
  SELECT r.meter_id, max(r.value) AS value
    FROM meter_readings r JOIN payments rp ON rp.id = r.payment_id JOIN meters rm ON rm.id = r.meter_id
   WHERE rp.status = 'accepted' AND ${inBatch('rm.account_number')}
   GROUP BY r.meter_id
), previous_line AS (
  SELECT DISTINCT ON (pi.account_number, pl.service_code) pi.account_number, pl.service_code, pl.previous_reading
    FROM invoices pi JOIN invoice_lines pl ON pl.invoice_id = pi.id
   WHERE pi.period = :period::date AND ${inBatch('pi.account_number')}
     AND pl.invoice_id BETWEEN (SELECT min(id + 0) FROM invoices WHERE period = :period::date AND ${inBatch('account_number')})
                           AND (SELECT max(id + 0) FROM invoices WHERE period = :period::date AND ${inBatch('account_number')})
   ORDER BY pi.account_number, pl.service_code, pi.version DESC
)
INSERT INTO invoice_lines (invoice_id, service_code, opening_balance, charged, amount_due, meter_id, previous_reading)
SELECT i.id, l.service_code, l.opening, l.charged, GREATEST(l.opening + l.charged, 0), m.id,
       COALESCE(lr.value, pv.previous_reading)
  FROM lines l
  JOIN invoices i ON i.account_number = l.account_number AND i.period = :next::date AND i.version = 1 AND ${inBatch('i.account_number')}
  LEFT JOIN meters m ON m.account_number = l.account_number AND m.service_code = l.service_code AND ${inBatch('m.account_number')}
  LEFT JOIN last_reading lr ON lr.meter_id = m.id
  LEFT JOIN previous_line pv ON pv.account_number = l.account_number AND pv.service_code = l.service_code
ON CONFLICT DO NOTHING`;

/** Providers with services that have no current charges upload for the period. */
export const MISSING_PROVIDERS_SQL = `
SELECT p.id FROM providers p
 WHERE EXISTS (SELECT 1 FROM services s WHERE s.provider_id = p.id)
   AND NOT EXISTS (SELECT 1 FROM charge_uploads u WHERE u.provider_id = p.id AND u.period = :period::date AND u.state = 'done')
 ORDER BY p.id`;
