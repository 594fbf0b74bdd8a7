// `spc audit provider --date` (issue 19 item 3): per provider and business day,
//   Σ register lines = Σ banks' list lines to it = Σ reported received + Σ open differences,
// each side read independently: the register's stored bank totals and the TOTAL row of its stored
// CSV bytes, the settlement lines of the day's delivered lists, and the provider's reported transfers.
import type { Knex } from 'knex';
import { Money, ZERO, formatAmount, fromDb, sum } from '../domain/money';
import { findTransferMatches } from '../db/queries/provider-transfers';
import { registerDayWaitingFor } from '../db/queries/provider-register-sources';

export interface ProviderDayAudit {
  providerId: string;
  registerId: string | null;
  registerTotal: string | null;
  listsTotal: string;
  received: string;
  openDifferences: string;
  /** Money reported for a bank and day without a list line to the provider: not part of the identity, shown apart. */
  unknownReceived: string;
  ok: boolean;
}

export interface ProviderAuditReport {
  date: string;
  waitingFor: string[];
  providers: ProviderDayAudit[];
  breaches: Array<{ providerId: string; detail: string }>;
  ok: boolean;
}

/** The TOTAL row of a stored register CSV (docs/provider-api.md): its amount column. */
function csvTotal(content: Buffer): string | null {
  const row = content.toString('utf8').trimEnd().split('\r\n').pop()?.split(',');
  return row && row[4] === 'TOTAL' ? (row[7] ?? null) : null;
}

async function auditOne(db: Knex, date: string, providerId: string, breaches: ProviderAuditReport['breaches'], ready: boolean): Promise<ProviderDayAudit> {
  const fail = (detail: string) => breaches.push({ providerId, detail });
  const register = await db('provider_registers').where({ provider_id: providerId, business_date: date }).orderBy('version', 'desc').first('id', 'total');
  const matches = await findTransferMatches(db, providerId, date, date);
  const listed = matches.filter((m) => m.expected !== null);
  const listsTotal = sum(listed.map((m) => new Money(m.expected as string)));
  const received = sum(listed.map((m) => new Money(m.received)));
  const open = sum(listed.map((m) => new Money(m.difference)));
  const unknown = sum(matches.filter((m) => m.expected === null).map((m) => new Money(m.received)));
  const before = breaches.length;
  if (!received.plus(open).eq(listsTotal)) fail(`received ${formatAmount(received)} + open ${formatAmount(open)} differ from the lists' ${formatAmount(listsTotal)}`);
  if (register) {
    const banks = await db('provider_register_bank_totals').where({ register_id: register.id }).select('total');
    const bankSum = sum(banks.map((b) => fromDb(b.total)));
    if (!bankSum.eq(fromDb(register.total))) fail(`register ${register.id}: bank totals sum to ${formatAmount(bankSum)}, its total is ${register.total}`);
    if (!fromDb(register.total).eq(listsTotal)) fail(`register ${register.id} totals ${register.total}, the banks' list lines to it ${formatAmount(listsTotal)}`);
    const csv = await db('provider_register_files').where({ register_id: register.id, format: 'csv' }).first('content');
    const written = csv ? csvTotal(csv.content as Buffer) : null;
    if (written !== register.total) fail(`register ${register.id}: its stored CSV's TOTAL row says ${String(written)}, the register ${register.total}`);
  } else if (ready && listsTotal.gt(ZERO)) fail(`no register although the day's lists pay it ${formatAmount(listsTotal)}`);
  return {
    providerId, registerId: register?.id ?? null, registerTotal: register ? formatAmount(fromDb(register.total)) : null, listsTotal: formatAmount(listsTotal),
    received: formatAmount(received), openDifferences: formatAmount(open), unknownReceived: formatAmount(unknown), ok: breaches.length === before,
  };
}

export async function auditProviders(db: Knex, date: string, only?: string): Promise<ProviderAuditReport> {
  const waitingFor = await registerDayWaitingFor(db, date);
  const { rows } = await db.raw<{ rows: Array<{ provider_id: string }> }>(
    `SELECT provider_id FROM settlement_lines l JOIN settlements s ON s.id = l.settlement_id WHERE s.business_date = ?
     UNION SELECT provider_id FROM provider_registers WHERE business_date = ?
     UNION SELECT provider_id FROM provider_transfers WHERE business_date = ?
     ORDER BY 1`,
    [date, date, date],
  );
  const breaches: ProviderAuditReport['breaches'] = [];
  const providers: ProviderDayAudit[] = [];
  for (const { provider_id: id } of rows) if (only === undefined || only === id) providers.push(await auditOne(db, date, id, breaches, waitingFor.length === 0));
  return { date, waitingFor, providers, breaches, ok: breaches.length === 0 };
}
