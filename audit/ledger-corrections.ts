// Ledger audit checks on corrections: each is booked with the postings its mode implies, and per
// bank the lists add up to the payments of their days plus the adjustments netted in.
import type { Knex } from 'knex';
import { AGGREGATED_SQL, rows } from './ledger-sql';
import type { LedgerBreach, LedgerScope } from './ledger-types';

export async function correctionsPostings(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function listsAddUp(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

