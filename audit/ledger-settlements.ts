// Ledger audit checks on settlement lists and their files: totals and lines match the ledger of the
// bank-day, the bank-day is closed, the transfer pays exactly the lines, and delivered lists have
// their files.
import type { Knex } from 'knex';
import { settlementIdOf } from '../domain/identifiers';
import { AGGREGATED_SQL, paymentSubject, rows, scopeSql } from './ledger-sql';
import type { LedgerBreach, LedgerScope } from './ledger-types';

export async function settlementTotals(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function settlementLines(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function settlementBankDay(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function transferMatchesLines(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function settlementTransfer(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function settlementFiles(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

