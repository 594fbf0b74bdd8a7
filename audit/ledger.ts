// The ledger audit: invariants of the money data, checked over Postgres as an auditor would, from
// the rows alone. Each check is one SQL query that returns the rows breaking it, so a report
// names every offending payment, transaction or settlement. The database enforces some of these
// too (append-only and balance triggers, unique indexes): the audit re-checks them because a
// trigger can be disabled, a constraint dropped, or a row restored from a bad backup.
import type { Knex } from 'knex';
import { assertBank, assertDate } from './query';
import { checkPaymentListFiles } from './payment-list-files';
import { settlementIdOf } from '../domain/identifiers';
import { toAlmaty } from '../domain/calendar';
import { findUnsettledBankDays } from '../db/queries/unsettled';
import { BREACHES_PER_CHECK_MAX, rows, scopeSql, type Row } from './ledger-sql';
import { bankDayStuck, excludedWithAdjustments, refundOfFallenPayment, STUCK_AFTER_HOURS_DEFAULT } from './ledger-counted-once';

/** Breaches listed per check before the rest are only counted (kept exported here for its callers). */
export { BREACHES_PER_CHECK_MAX };

export { LEDGER_CHECKS, type LedgerBreach, type LedgerCheckName, type LedgerScope } from './ledger-types';
import type { LedgerBreach, LedgerCheckName, LedgerScope } from './ledger-types';
import { LEDGER_CHECKS } from './ledger-types';

export interface LedgerReport {
  scope: LedgerScope;
  checks: Array<{ name: LedgerCheckName; description: string; breaches: number }>;
  breaches: LedgerBreach[];
  ok: boolean;
}

const paymentSubject = (r: Row) => `payment ${r.payment_id} ${r.bank_code}/${r.bank_ref} (${r.business_date})`;

async function allocationsSum(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'p');
  const found = await rows(
    db,
    `SELECT p.id AS payment_id, p.bank_code, p.bank_ref, p.business_date, p.amount::text, COALESCE(a.total, 0)::text AS allocated, COALESCE(a.n, 0) AS lines
       FROM payments p
       LEFT JOIN LATERAL (SELECT sum(amount) AS total, count(*) AS n FROM allocations WHERE payment_id = p.id) a ON true
      WHERE ${s.sql} AND a.total IS DISTINCT FROM p.amount
      ORDER BY p.id`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'allocations_sum',
    subject: paymentSubject(r),
    detail: `amount ${r.amount}, allocations (${r.lines} lines) sum to ${r.allocated}`,
    keys: { payment_id: r.payment_id },
  }));
}

async function transactionsBalance(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 't', 'COALESCE(p.bank_code, st.bank_code, co.bank_code)');
  const found = await rows(
    db,
    `SELECT t.id AS transaction_id, t.kind, t.payment_id, t.settlement_id, t.correction_id, t.business_date,
            COALESCE(x.d, 0)::text AS debit, COALESCE(x.c, 0)::text AS credit, x.n AS postings
       FROM ledger_transactions t
       LEFT JOIN payments p ON p.id = t.payment_id
       LEFT JOIN settlements st ON st.id = t.settlement_id
       LEFT JOIN corrections co ON co.id = t.correction_id
       LEFT JOIN LATERAL (SELECT sum(debit) AS d, sum(credit) AS c, count(*) AS n FROM ledger_postings WHERE transaction_id = t.id) x ON true
      WHERE ${s.sql} AND (x.n = 0 OR x.d <> x.c)
      ORDER BY t.id`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'transactions_balance',
    subject: `ledger transaction ${r.transaction_id} (${r.kind}${r.payment_id ? ` of payment ${r.payment_id}` : ''}${r.settlement_id ? ` of settlement ${r.settlement_id}` : ''}${r.correction_id ? ` of ${r.correction_id}` : ''}, ${r.business_date})`,
    detail: Number(r.postings) === 0 ? 'has no postings' : `debits ${r.debit} differ from credits ${r.credit}`,
    keys: { transaction_id: r.transaction_id },
  }));
}

async function paymentTransaction(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'p');
  const found = await rows(
    db,
    `SELECT * FROM (
       SELECT p.id AS payment_id, p.bank_code, p.bank_ref, p.business_date, p.status,
              (SELECT count(*) FROM ledger_transactions t WHERE t.payment_id = p.id AND t.kind = 'payment')::int AS payment_tx,
              (SELECT count(*) FROM ledger_transactions t WHERE t.payment_id = p.id AND t.kind = 'reversal')::int AS reversal_tx
         FROM payments p WHERE ${s.sql}
     ) c
     WHERE payment_tx <> 1 OR reversal_tx <> CASE WHEN status = 'accepted' THEN 0 ELSE 1 END
     ORDER BY payment_id`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'payment_transaction',
    subject: paymentSubject(r),
    detail: `status ${r.status} with ${r.payment_tx} payment and ${r.reversal_tx} reversal transactions (expected 1 and ${r.status === 'accepted' ? 0 : 1})`,
    keys: { payment_id: r.payment_id },
  }));
}

async function paymentPostings(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'p');
  // Net = debit - credit per account. A payment: bank +amount, each provider -its allocations.
  // A reversal: the opposite. Compared on both sides, so a missing and an extra posting both show.
  const found = await rows(
    db,
    `WITH pay AS (SELECT p.id, p.bank_code, p.bank_ref, p.business_date, p.status, p.amount FROM payments p WHERE ${s.sql}),
     expected AS (
       SELECT pay.id AS payment_id, 'bank:' || pay.bank_code AS account, pay.amount AS net FROM pay
       UNION ALL
       SELECT a.payment_id, 'provider:' || a.provider_id, -sum(a.amount) FROM allocations a JOIN pay ON pay.id = a.payment_id GROUP BY a.payment_id, a.provider_id
     ),
     kinds AS (
       SELECT pay.id AS payment_id, k.kind, k.sign FROM pay
       CROSS JOIN (VALUES ('payment', 1), ('reversal', -1)) AS k(kind, sign)
       WHERE k.kind = 'payment' OR pay.status <> 'accepted'
     ),
     want AS (SELECT k.payment_id, k.kind, e.account, e.net * k.sign AS net FROM kinds k JOIN expected e USING (payment_id)),
     got AS (
       SELECT t.payment_id, t.kind, lp.account, sum(lp.debit - lp.credit) AS net
         FROM ledger_transactions t
         JOIN kinds k ON k.payment_id = t.payment_id AND k.kind = t.kind
         JOIN ledger_postings lp ON lp.transaction_id = t.id
        GROUP BY t.payment_id, t.kind, lp.account
     )
     SELECT COALESCE(w.payment_id, g.payment_id) AS payment_id, pay.bank_code, pay.bank_ref, pay.business_date,
            COALESCE(w.kind, g.kind) AS kind, COALESCE(w.account, g.account) AS account, w.net::text AS expected, g.net::text AS actual
       FROM want w
       FULL OUTER JOIN got g ON g.payment_id = w.payment_id AND g.kind = w.kind AND g.account = w.account
       JOIN pay ON pay.id = COALESCE(w.payment_id, g.payment_id)
      WHERE w.net IS DISTINCT FROM g.net
        -- a missing transaction is the payment_transaction check's finding; here only its postings count
        AND EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.payment_id = COALESCE(w.payment_id, g.payment_id) AND t.kind = COALESCE(w.kind, g.kind))
      ORDER BY 1, 5, 6`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'payment_postings',
    subject: paymentSubject(r),
    detail: `${r.kind} posting on ${r.account}: expected net ${r.expected ?? 'none'}, ledger has ${r.actual ?? 'none'}`,
    keys: { payment_id: r.payment_id },
  }));
}

/** Statuses in which a settlement has computed its totals and lines. */
const AGGREGATED_SQL = `('aggregated', 'delivered', 'overdue', 'settled')`;

async function settlementTotals(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'st');
  const found = await rows(
    db,
    `SELECT * FROM (
       SELECT st.id AS settlement_id, st.status, st.payment_count, st.payments_total::text, st.reversal_count, st.reversals_total::text, st.net_total::text,
              l.pay_count, l.pay_total::text, l.rev_count, l.rev_total::text, (l.pay_total - l.rev_total)::text AS ledger_net,
              ln.lines_total::text, ln.n AS line_count,
              st.payments_total <> l.pay_total OR st.payment_count <> l.pay_count
                OR st.reversals_total <> l.rev_total OR st.reversal_count <> l.rev_count AS totals_differ,
              st.net_total <> ln.lines_total AS lines_differ
         FROM settlements st
         CROSS JOIN LATERAL (
           SELECT COALESCE(sum(lp.debit) FILTER (WHERE t.kind = 'payment'), 0) AS pay_total,
                  count(DISTINCT t.id) FILTER (WHERE t.kind = 'payment')::int AS pay_count,
                  COALESCE(sum(lp.credit) FILTER (WHERE t.kind = 'reversal'), 0) AS rev_total,
                  count(DISTINCT t.id) FILTER (WHERE t.kind = 'reversal')::int AS rev_count
             FROM payments p
             JOIN ledger_transactions t ON t.payment_id = p.id
             JOIN ledger_postings lp ON lp.transaction_id = t.id AND lp.account = 'bank:' || p.bank_code
            WHERE p.bank_code = st.bank_code AND p.business_date = st.business_date
         ) l
         CROSS JOIN LATERAL (SELECT COALESCE(sum(amount), 0) AS lines_total, count(*)::int AS n FROM settlement_lines WHERE settlement_id = st.id) ln
        WHERE ${s.sql} AND st.status IN ${AGGREGATED_SQL}
     ) c
     WHERE totals_differ OR lines_differ
     ORDER BY settlement_id`,
    s.bindings,
  );
  const out: LedgerBreach[] = [];
  for (const r of found) {
    const subject = `settlement ${r.settlement_id} (${r.status})`;
    if (r.totals_differ) {
      out.push({
        check: 'settlement_totals',
        subject,
        detail: `records ${r.payment_count} payments ${r.payments_total} - ${r.reversal_count} reversals ${r.reversals_total} = ${r.net_total}; `
          + `the ledger of the bank-day has ${r.pay_count} payments ${r.pay_total} - ${r.rev_count} reversals ${r.rev_total} = ${r.ledger_net}`,
        keys: { settlement_id: r.settlement_id },
      });
    }
    if (r.lines_differ) {
      out.push({ check: 'settlement_totals', subject, detail: `net total ${r.net_total}, its ${r.line_count} lines sum to ${r.lines_total}`, keys: { settlement_id: r.settlement_id } });
    }
  }
  return out;
}

async function settlementLines(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'st');
  // What the ledger owes each provider for the bank-day: credits of payments minus debits of reversals.
  const found = await rows(
    db,
    `WITH st AS (SELECT st.* FROM settlements st WHERE ${s.sql} AND st.status IN ${AGGREGATED_SQL}),
     owed AS (
       SELECT settlement_id, provider_id, sum(amount) AS amount FROM (
         SELECT st.id AS settlement_id, substr(lp.account, 10) AS provider_id, lp.credit - lp.debit AS amount
           FROM st
           JOIN payments p ON p.bank_code = st.bank_code AND p.business_date = st.business_date
           JOIN ledger_transactions t ON t.payment_id = p.id
           JOIN ledger_postings lp ON lp.transaction_id = t.id AND lp.account LIKE 'provider:%'
         UNION ALL
         -- corrections of earlier days netted into this list (activities/correction.ts)
         SELECT a.settlement_id, a.provider_id, a.amount FROM adjustments a JOIN st ON st.id = a.settlement_id
       ) x GROUP BY settlement_id, provider_id
     ),
     lines AS (SELECT l.settlement_id, l.provider_id, l.amount, l.line_no FROM settlement_lines l JOIN st ON st.id = l.settlement_id)
     SELECT COALESCE(o.settlement_id, l.settlement_id) AS settlement_id, COALESCE(o.provider_id, l.provider_id) AS provider_id,
            l.line_no, COALESCE(o.amount, 0)::text AS owed, COALESCE(l.amount, 0)::text AS listed
       FROM owed o FULL OUTER JOIN lines l ON l.settlement_id = o.settlement_id AND l.provider_id = o.provider_id
      WHERE COALESCE(o.amount, 0) <> COALESCE(l.amount, 0)
      ORDER BY 1, 2`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'settlement_lines',
    subject: `settlement ${r.settlement_id} provider ${r.provider_id}${r.line_no ? ` (line ${r.line_no})` : ' (no line)'}`,
    detail: `the ledger owes ${r.owed}, the line says ${r.listed}`,
    keys: { settlement_id: r.settlement_id, provider_id: r.provider_id },
  }));
}

async function settlementBankDay(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'st');
  const settlements = await rows(
    db,
    `SELECT st.id AS settlement_id, st.bank_code, st.business_date, st.status, d.closed_at::text
       FROM settlements st
       LEFT JOIN bank_days d ON d.bank_code = st.bank_code AND d.business_date = st.business_date
      WHERE ${s.sql}
        AND (st.id <> st.bank_code || ':' || to_char(st.business_date, 'YYYY-MM-DD')
             OR (st.status IN ${AGGREGATED_SQL} AND d.closed_at IS NULL))
      ORDER BY st.id`,
    s.bindings,
  );
  const out: LedgerBreach[] = settlements.map((r) => ({
    check: 'settlement_bank_day' as const,
    subject: `settlement ${r.settlement_id} (${r.status})`,
    detail: r.settlement_id !== settlementIdOf(String(r.bank_code), String(r.business_date))
      ? `its id should be ${settlementIdOf(String(r.bank_code), String(r.business_date))}: payments find their settlement by that key`
      : `bank-day ${r.bank_code} ${r.business_date} is not closed although the settlement is ${r.status}`,
    keys: { settlement_id: r.settlement_id },
  }));
  // A payment posted after its bank-day closed would belong to a settlement that did not count it.
  const d = scopeSql(scope, 'p');
  const late = await rows(
    db,
    `SELECT p.id AS payment_id, p.bank_code, p.bank_ref, p.business_date, p.posted_at::text, b.closed_at::text
       FROM payments p JOIN bank_days b ON b.bank_code = p.bank_code AND b.business_date = p.business_date
      WHERE ${d.sql} AND b.closed_at IS NOT NULL AND p.posted_at > b.closed_at
      ORDER BY p.id`,
    d.bindings,
  );
  for (const r of late) {
    out.push({ check: 'settlement_bank_day', subject: paymentSubject(r), detail: `posted at ${r.posted_at}, after its bank-day closed at ${r.closed_at}`, keys: { payment_id: r.payment_id } });
  }
  return out;
}

async function transferMatchesLines(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'st');
  // A transfer pays the providers from the bank: debit provider:ID by its line, credit bank:CODE by the net total.
  const found = await rows(
    db,
    `WITH st AS (SELECT st.* FROM settlements st WHERE ${s.sql}),
     tx AS (SELECT t.id, t.settlement_id FROM ledger_transactions t JOIN st ON st.id = t.settlement_id WHERE t.kind = 'transfer'),
     want AS (
       SELECT l.settlement_id, 'provider:' || l.provider_id AS account, l.amount AS net FROM settlement_lines l JOIN tx ON tx.settlement_id = l.settlement_id
       UNION ALL
       SELECT st.id, 'bank:' || st.bank_code, -st.net_total FROM st JOIN tx ON tx.settlement_id = st.id
     ),
     got AS (SELECT tx.settlement_id, lp.account, sum(lp.debit - lp.credit) AS net FROM tx JOIN ledger_postings lp ON lp.transaction_id = tx.id GROUP BY 1, 2)
     SELECT COALESCE(w.settlement_id, g.settlement_id) AS settlement_id, COALESCE(w.account, g.account) AS account, w.net::text AS expected, g.net::text AS actual
       FROM want w FULL OUTER JOIN got g ON g.settlement_id = w.settlement_id AND g.account = w.account
      WHERE w.net IS DISTINCT FROM g.net
      ORDER BY 1, 2`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'transfer_matches_lines',
    subject: `transfer of settlement ${r.settlement_id}`,
    detail: `${r.account}: expected net ${r.expected ?? 'none'}, ledger has ${r.actual ?? 'none'}`,
    keys: { settlement_id: r.settlement_id },
  }));
}

async function paymentWorkflow(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'p');
  const found = await rows(
    db,
    `SELECT p.id AS payment_id, p.bank_code, p.bank_ref, p.business_date, p.workflow_id, p.run_id
       FROM payments p
      WHERE ${s.sql} AND (btrim(p.workflow_id) = '' OR btrim(p.run_id) = '')
      ORDER BY p.id`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'payment_workflow',
    subject: paymentSubject(r),
    detail: `workflow_id ${JSON.stringify(r.workflow_id)}, run_id ${JSON.stringify(r.run_id)}: the row does not say which workflow run wrote it`,
    keys: { payment_id: r.payment_id },
  }));
}

async function correctionsPostings(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  // Corrections are booked on the day they are applied; the date scope does not narrow them.
  const bank = scope.bank ? 'c.bank_code = ?' : 'true';
  const b = scope.bank ? [scope.bank] : [];
  const found = await rows(
    db,
    `WITH c AS (SELECT c.* FROM corrections c WHERE ${bank}),
     want AS (
       SELECT a.correction_id, 'provider:' || a.provider_id AS account, -a.amount AS net FROM adjustments a JOIN c ON c.id = a.correction_id
       UNION ALL
       SELECT c.id, 'bank:' || c.bank_code, -c.amount FROM c WHERE c.mode = 'adjusted' AND c.kind = 'refund'
     ),
     got AS (
       SELECT t.correction_id, lp.account, sum(lp.debit - lp.credit) AS net
         FROM ledger_transactions t JOIN c ON c.id = t.correction_id JOIN ledger_postings lp ON lp.transaction_id = t.id
        WHERE t.kind = 'correction' GROUP BY 1, 2
     )
     SELECT COALESCE(w.correction_id, g.correction_id) AS correction_id, COALESCE(w.account, g.account) AS account, w.net::text AS expected, g.net::text AS actual,
            'postings' AS problem
       FROM want w FULL OUTER JOIN got g ON g.correction_id = w.correction_id AND g.account = w.account
      WHERE w.net IS DISTINCT FROM g.net
     UNION ALL
     SELECT t.correction_id, NULL, NULL, NULL, 'transaction of a correction that is not applied as an adjustment'
       FROM ledger_transactions t JOIN c ON c.id = t.correction_id WHERE t.kind = 'correction' AND c.mode IS DISTINCT FROM 'adjusted'
     UNION ALL
     SELECT c.id, NULL, NULL, NULL, 'reposted, but its payment is not corrected and reversed, or its replacement is missing'
       FROM c JOIN payments p ON p.id = c.payment_id
      WHERE c.mode = 'reposted' AND (
            p.status <> 'corrected'
         OR NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.payment_id = p.id AND t.kind = 'reversal')
         OR ((c.kind = 'refund') <> (c.replacement_payment_id IS NULL)))
      ORDER BY 1, 2`,
    b,
  );
  return found.map((r) => ({
    check: 'corrections_postings',
    subject: `correction ${r.correction_id}`,
    detail: r.problem === 'postings' ? `${r.account}: expected net ${r.expected ?? 'none'}, ledger has ${r.actual ?? 'none'}` : String(r.problem),
    keys: { correction_id: r.correction_id },
  }));
}

async function listsAddUp(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  // Per bank over every day: what the lists carried, what the days' payments net to, and the adjustments netted in.
  const bank = scope.bank ? 'b.code = ?' : 'true';
  const b = scope.bank ? [scope.bank] : [];
  const found = await rows(
    db,
    `SELECT b.code AS bank_code, l.lists::text, n.net::text, a.applied::text, a.all_adj::text, k.booked::text, s.recorded::text
       FROM banks b
       CROSS JOIN LATERAL (
         SELECT COALESCE(sum(sl.amount), 0) AS lists FROM settlements st JOIN settlement_lines sl ON sl.settlement_id = st.id
          WHERE st.bank_code = b.code AND st.status IN ${AGGREGATED_SQL}) l
       CROSS JOIN LATERAL (
         SELECT COALESCE(sum(lp.debit - lp.credit), 0) AS net
           FROM settlements st
           JOIN payments p ON p.bank_code = st.bank_code AND p.business_date = st.business_date
           JOIN ledger_transactions t ON t.payment_id = p.id
           JOIN ledger_postings lp ON lp.transaction_id = t.id AND lp.account = 'bank:' || b.code
          WHERE st.bank_code = b.code AND st.status IN ${AGGREGATED_SQL}) n
       CROSS JOIN LATERAL (
         SELECT COALESCE(sum(amount) FILTER (WHERE settlement_id IS NOT NULL), 0) AS applied, COALESCE(sum(amount), 0) AS all_adj
           FROM adjustments WHERE bank_code = b.code) a
       CROSS JOIN LATERAL (
         SELECT COALESCE(sum(lp.credit - lp.debit), 0) AS booked
           FROM corrections c JOIN ledger_transactions t ON t.correction_id = c.id AND t.kind = 'correction'
           JOIN ledger_postings lp ON lp.transaction_id = t.id AND lp.account LIKE 'provider:%'
          WHERE c.bank_code = b.code) k
       CROSS JOIN LATERAL (
         SELECT COALESCE(sum(adjustments_total), 0) AS recorded FROM settlements WHERE bank_code = b.code AND status IN ${AGGREGATED_SQL}) s
      WHERE ${bank} AND (l.lists <> n.net + a.applied OR a.all_adj <> k.booked OR s.recorded <> a.applied)
      ORDER BY 1`,
    b,
  );
  return found.map((r) => ({
    check: 'lists_add_up',
    subject: `bank ${r.bank_code}`,
    detail: `lists sum to ${r.lists}; payments of those days net ${r.net} + adjustments netted in ${r.applied} (settlements record ${r.recorded}); adjustments ${r.all_adj}, correction transactions owe providers ${r.booked}`,
    keys: { bank_code: r.bank_code },
  }));
}

async function settlementTransfer(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'st');
  // transfer_matches_lines compares a transfer with its lines; this one catches the transfer that is not there at all.
  const found = await rows(
    db,
    `SELECT st.id AS settlement_id, st.status, st.net_total::text,
            (SELECT count(*)::int FROM settlement_lines l WHERE l.settlement_id = st.id) AS lines,
            (SELECT count(*)::int FROM ledger_transactions t WHERE t.settlement_id = st.id AND t.kind = 'transfer') AS transfers
       FROM settlements st
      WHERE ${s.sql}
        AND (SELECT count(*) FROM ledger_transactions t WHERE t.settlement_id = st.id AND t.kind = 'transfer')
            <> CASE WHEN st.status = 'settled' AND EXISTS (SELECT 1 FROM settlement_lines l WHERE l.settlement_id = st.id) THEN 1 ELSE 0 END
      ORDER BY st.id`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'settlement_transfer',
    subject: `settlement ${r.settlement_id} (${r.status})`,
    detail: `${r.transfers} transfer transaction(s) for ${r.lines} line(s) of net ${r.net_total}: a settled list is paid by exactly one transfer`,
    keys: { settlement_id: r.settlement_id },
  }));
}

async function settlementFiles(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const s = scopeSql(scope, 'st');
  const found = await rows(
    db,
    `SELECT st.id AS settlement_id, st.status, f.format
       FROM settlements st
       CROSS JOIN (VALUES ('pain001'), ('csv')) AS f(format)
      WHERE ${s.sql} AND st.status IN ('delivered', 'overdue', 'settled')
        AND EXISTS (SELECT 1 FROM settlement_lines l WHERE l.settlement_id = st.id)
        AND NOT EXISTS (SELECT 1 FROM settlement_files sf WHERE sf.settlement_id = st.id AND sf.format = f.format)
      ORDER BY st.id, f.format`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'settlement_files',
    subject: `settlement ${r.settlement_id} (${r.status})`,
    detail: `has no ${r.format} payment list, although its lines were delivered`,
    keys: { settlement_id: r.settlement_id, format: r.format },
  }));
}

async function masterData(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  // The constraints of migration 20261201000001 check new writes; rows from before it are checked here.
  const bankScope = scope.bank ? 'b.code = ?' : 'true';
  const found = await rows(
    db,
    `SELECT 'bank ' || b.code AS subject, b.code AS key,
            concat_ws('; ',
              CASE WHEN NOT spc_kz_iban_valid(b.settlement_iban) THEN 'settlement IBAN ' || b.settlement_iban || ' fails mod-97' END,
              CASE WHEN NOT spc_bin_valid(b.bin) THEN 'BIN ' || b.bin || ' has a wrong check digit' END) AS detail
       FROM banks b WHERE ${bankScope} AND (NOT spc_kz_iban_valid(b.settlement_iban) OR NOT spc_bin_valid(b.bin))
     UNION ALL
     SELECT 'provider ' || p.id, p.id,
            concat_ws('; ',
              CASE WHEN NOT spc_kz_iban_valid(p.iban) THEN 'IBAN ' || p.iban || ' fails mod-97' END,
              CASE WHEN NOT spc_bin_valid(p.bin) THEN 'BIN ' || p.bin || ' has a wrong check digit' END,
              CASE WHEN EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3))
                    AND NOT EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3) AND k.bic = p.bic)
                   THEN 'BIC ' || p.bic || ' is not the BIC of bank code ' || substr(p.iban, 5, 3) || ' of its IBAN' END) AS detail
       FROM providers p
      WHERE NOT spc_kz_iban_valid(p.iban) OR NOT spc_bin_valid(p.bin)
         OR (EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3))
             AND NOT EXISTS (SELECT 1 FROM banks k WHERE k.iban_code = substr(p.iban, 5, 3) AND k.bic = p.bic))
      ORDER BY 1`,
    scope.bank ? [scope.bank] : [],
  );
  return found.map((r) => ({ check: 'master_data', subject: String(r.subject), detail: String(r.detail), keys: { id: r.key } }));
}

async function unsettledBankDay(db: Knex, scope: LedgerScope, today: string): Promise<LedgerBreach[]> {
  const days = await findUnsettledBankDays(db, today, { bankCode: scope.bank, businessDate: scope.date, limit: BREACHES_PER_CHECK_MAX });
  return days.map((d) => ({
    check: 'unsettled_bank_day',
    subject: `bank-day ${settlementIdOf(d.bankCode, d.businessDate)}`,
    detail: `${d.acceptedCount} accepted payment(s), ${d.acceptedTotal} KZT, on a past bank-day that no settlement lists: settle it (spc settle --bank ${d.bankCode} --date ${d.businessDate})`,
    keys: { bank_code: d.bankCode, business_date: d.businessDate },
  }));
}

const SQL_CHECKS: Array<[LedgerCheckName, (db: Knex, scope: LedgerScope) => Promise<LedgerBreach[]>]> = [
  ['allocations_sum', allocationsSum],
  ['transactions_balance', transactionsBalance],
  ['payment_transaction', paymentTransaction],
  ['payment_postings', paymentPostings],
  ['settlement_totals', settlementTotals],
  ['settlement_lines', settlementLines],
  ['settlement_bank_day', settlementBankDay],
  ['transfer_matches_lines', transferMatchesLines],
  ['settlement_transfer', settlementTransfer],
  ['settlement_files', settlementFiles],
  ['payment_list_files', checkPaymentListFiles],
  ['master_data', masterData],
  ['payment_workflow', paymentWorkflow],
  ['corrections_postings', correctionsPostings],
  ['lists_add_up', listsAddUp],
  ['excluded_with_adjustments', excludedWithAdjustments],
  ['refund_of_fallen_payment', refundOfFallenPayment],
];

export interface LedgerAuditOptions {
  /** Adds the Temporal checks (workflow_exists, workflow_has_record) through this function. */
  temporalChecks?: (db: Knex, scope: LedgerScope) => Promise<LedgerBreach[]>;
  /** Wall clock for "before today" (unsettled_bank_day); default now. */
  now?: Date;
  /** Age after which a settlement in closing or discrepancy is a bank_day_stuck breach; default 24 h. */
  stuckAfterHours?: number;
}

/**
 * Runs every check over the scope, reading in one REPEATABLE READ transaction so all checks see
 * the same snapshot even while payments keep arriving (or in the caller's transaction, when `db`
 * is one). Returns the breaches; `ok` when none.
 */
export async function auditLedger(db: Knex, scope: LedgerScope = {}, opts: LedgerAuditOptions = {}): Promise<LedgerReport> {
  if (scope.date) assertDate(scope.date, '--date');
  if (scope.bank) assertBank(scope.bank);
  const byCheck = new Map<LedgerCheckName, LedgerBreach[]>();
  const runAll = async (trx: Knex) => {
    for (const [name, check] of SQL_CHECKS) byCheck.set(name, await check(trx, scope));
    byCheck.set('unsettled_bank_day', await unsettledBankDay(trx, scope, toAlmaty(opts.now ?? new Date()).date));
    byCheck.set('bank_day_stuck', await bankDayStuck(trx, scope, opts.now ?? new Date(), opts.stuckAfterHours ?? STUCK_AFTER_HOURS_DEFAULT));
  };
  // Inside a caller's transaction (a test that corrupts a row and rolls back) the checks see its snapshot.
  if ((db as Knex.Transaction).isTransaction) await runAll(db);
  else await db.transaction(runAll, { isolationLevel: 'repeatable read', readOnly: true });
  if (opts.temporalChecks) {
    for (const breach of await opts.temporalChecks(db, scope)) byCheck.set(breach.check, [...(byCheck.get(breach.check) ?? []), breach]);
    byCheck.set('workflow_exists', byCheck.get('workflow_exists') ?? []);
    byCheck.set('workflow_has_record', byCheck.get('workflow_has_record') ?? []);
  }
  const breaches = [...byCheck.values()].flat();
  return {
    scope,
    checks: [...byCheck.entries()].map(([name, list]) => ({ name, description: LEDGER_CHECKS[name], breaches: list.length })),
    breaches,
    ok: breaches.length === 0,
  };
}
