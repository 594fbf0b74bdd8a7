// Ledger audit checks on payments: their allocations sum to the amount, each has its payment (and
// reversal) transaction with the postings it implies, every transaction balances, and every row
// names the workflow run that wrote it.
import type { Knex } from 'knex';
import { paymentSubject, rows, scopeSql } from './ledger-sql';
import type { LedgerBreach, LedgerScope } from './ledger-types';

export async function allocationsSum(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function transactionsBalance(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function paymentTransaction(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function paymentPostings(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

export async function paymentWorkflow(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
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

