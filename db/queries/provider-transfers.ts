// The matching of a provider's reported transfers to the banks' list lines to it (issue 19 item 2):
// per bank and business day, the list line (delivered lists only) against the sum of the transfers
// the provider reported for it. Reads only; always filtered by the provider.
import type { Knex } from 'knex';
import { formatAmount, fromDb } from '../../domain/money';
import { type MatchStatus, matchStatus, openDifference } from '../../domain/provider-transfers';

/** A month of 8 banks is ~250 pairs; the cap bounds one answer. */
export const TRANSFER_MATCHES_MAX = 5_000;

export interface TransferMatch {
  bankCode: string;
  businessDate: string;
  endToEndId: string | null;
  expected: string | null;
  received: string;
  difference: string;
  status: MatchStatus;
  /** When the bank confirmed the list line as transferred; null when not (yet). */
  bankConfirmedAt: string | null;
  statementRefs: string[];
}

export async function findTransferMatches(db: Knex | Knex.Transaction, providerId: string, from: string, to: string, bankCode?: string): Promise<TransferMatch[]> {
  const bankFilter = bankCode === undefined ? '' : 'AND bank_code = ?';
  const bankArgs = bankCode === undefined ? [] : [bankCode];
  const { rows } = await db.raw<{ rows: Array<{ bank_code: string; business_date: string; end_to_end_id: string | null; expected: string | null; received: string | null; confirmed_at: Date | null; refs: string[] | null }> }>(
    `WITH l AS (
       SELECT s.bank_code, s.business_date, sl.end_to_end_id, sl.amount, sl.confirmed_at
         FROM settlement_lines sl JOIN settlements s ON s.id = sl.settlement_id
        WHERE sl.provider_id = ? AND s.business_date BETWEEN ? AND ? AND s.delivered_at IS NOT NULL AND sl.amount > 0 ${bankFilter.replace('bank_code', 's.bank_code')}
     ), t AS (
       SELECT bank_code, business_date, sum(amount) AS received, array_agg(statement_ref ORDER BY statement_ref) AS refs
         FROM provider_transfers WHERE provider_id = ? AND business_date BETWEEN ? AND ? ${bankFilter}
        GROUP BY bank_code, business_date
     )
     SELECT COALESCE(l.bank_code, t.bank_code) AS bank_code, COALESCE(l.business_date, t.business_date) AS business_date,
            l.end_to_end_id, l.amount AS expected, t.received, l.confirmed_at, t.refs
       FROM l FULL JOIN t ON t.bank_code = l.bank_code AND t.business_date = l.business_date
      ORDER BY 2, 1 LIMIT ${TRANSFER_MATCHES_MAX}`,
    [providerId, from, to, ...bankArgs, providerId, from, to, ...bankArgs],
  );
  return rows.map((r) => {
    const expected = r.expected === null ? null : formatAmount(fromDb(r.expected));
    const received = formatAmount(fromDb(r.received));
    return {
      bankCode: r.bank_code, businessDate: r.business_date, endToEndId: r.end_to_end_id, expected, received,
      difference: openDifference(expected, received), status: matchStatus(expected, received),
      bankConfirmedAt: r.confirmed_at ? r.confirmed_at.toISOString() : null, statementRefs: r.refs ?? [],
    };
  });
}

/** Bank codes among `codes` the SPC does not know. */
export async function unknownBankCodes(db: Knex | Knex.Transaction, codes: string[]): Promise<string[]> {
  const known = new Set((await db('banks').whereIn('code', codes).select('code')).map((r) => r.code as string));
  return [...new Set(codes)].filter((c) => !known.has(c));
}

/** Most candidate lines one check looks at; the next run takes the rest. */
export const UNREPORTED_LINES_MAX = 500;

export interface UnreportedLine {
  bankCode: string;
  businessDate: string;
  providerId: string;
  endToEndId: string;
  expected: string;
  received: string;
  confirmedAt: Date;
}

/**
 * List lines a bank confirmed as transferred before `confirmedBefore` that the provider has not
 * reported received in full, and for which no TRANSFER_NOT_RECEIVED case exists yet.
 */
export async function findUnreportedConfirmedLines(db: Knex, confirmedBefore: Date): Promise<UnreportedLine[]> {
  const { rows } = await db.raw<{ rows: Array<{ bank_code: string; business_date: string; provider_id: string; end_to_end_id: string; amount: string; received: string; confirmed_at: Date }> }>(
    `SELECT s.bank_code, s.business_date, sl.provider_id, sl.end_to_end_id, sl.amount, sl.confirmed_at,
            COALESCE((SELECT sum(t.amount) FROM provider_transfers t
                       WHERE t.provider_id = sl.provider_id AND t.bank_code = s.bank_code AND t.business_date = s.business_date), 0) AS received
       FROM settlement_lines sl JOIN settlements s ON s.id = sl.settlement_id
      WHERE sl.confirmed_at IS NOT NULL AND sl.confirmed_at < ? AND sl.amount > 0
        AND NOT EXISTS (SELECT 1 FROM complaints c
                         WHERE c.id = s.bank_code || ':' || sl.provider_id || '/' || to_char(s.business_date, 'YYYY-MM-DD') || ':TRANSFER_NOT_RECEIVED')
      ORDER BY sl.confirmed_at, s.bank_code, sl.provider_id LIMIT ${UNREPORTED_LINES_MAX}`,
    [confirmedBefore],
  );
  return rows
    .filter((r) => fromDb(r.received).lt(fromDb(r.amount)))
    .map((r) => ({
      bankCode: r.bank_code, businessDate: r.business_date, providerId: r.provider_id, endToEndId: r.end_to_end_id,
      expected: formatAmount(fromDb(r.amount)), received: formatAmount(fromDb(r.received)), confirmedAt: r.confirmed_at,
    }));
}

/** The calendar's overrides (holidays, working weekends), for counting working days outside activities. */
export async function loadCalendarOverrides(db: Knex): Promise<{ holidays: Set<string>; workdays: Set<string> }> {
  const days = await db('calendar_days').select('day', 'kind');
  return {
    holidays: new Set(days.filter((d) => d.kind === 'holiday').map((d) => d.day as string)),
    workdays: new Set(days.filter((d) => d.kind === 'workday').map((d) => d.day as string)),
  };
}
