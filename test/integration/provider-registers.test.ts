// The providers' daily registers on a real worker, Temporal and Postgres (issue 19): a day with
// payments of several channels at two banks, a payment reversed before the close and a correction
// after settlement (carried to the next list as an adjustment). The registers are built once the
// day's last list is delivered; each provider's register adds up, per bank, to its line on that
// bank's list, to the tiyn; the camt.054 validates against the official XSD; downloads are
// byte-identical; a provider key reads its own registers only, and bank and provider keys stay
// on their own routes.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { createApiKey } from '../../db/bank-keys';
import { createProviderKey } from '../../db/provider-keys';
import { confirmTransfers, getSettlementState, startSettlement, type SettlementState } from '../../client/settlements';
import { decideCorrection, proposeCorrection, type CorrectionClientContext } from '../../client/corrections';
import { addDays, isWeekend } from '../../domain/calendar';
import { Money, formatAmount } from '../../domain/money';
import type { PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { validateWithXsd } from '../support/xmllint';
import { auditProviders } from '../../audit/provider';
import { raiseUnreportedTransferCases } from '../../client/transfer-cases';
import { listComplaints } from '../../client/complaints';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const CAMT054_XSD_PATH = path.resolve(__dirname, '../../schemas/iso20022/camt.054.001.08.xsd');
const WATER_ACCOUNT = '1000000009';
const run = randomBytes(3).toString('hex');
let seq = 0;
const ref = (tag: string) => `${tag}-${run}-${++seq}`;

let h: Harness;
let server: RunningApiServer;
let ctx: CorrectionClientContext;
const keys = { HSBK: '', AES: '', SU: '' };

/** This file's year (2022): settlement ids are shared by every test file on the one dev server. */
const usedDates = new Set<string>();
function pastWeekday(): string {
  for (;;) {
    const d = addDays('2022-02-01', randomBytes(2).readUInt16BE(0) % 300);
    if (!isWeekend(d) && !usedDates.has(d)) {
      usedDates.add(d);
      return d;
    }
  }
}

async function call(method: string, url: string, key: string, json?: unknown): Promise<{ status: number; text: string; body: any; headers: Headers }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${url}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined };
}

async function pay(date: string, overrides: Partial<PaymentRequest>) {
  const outcome = await submitPaymentAsOfPaidAt(h.ctx, {
    bankCode: WORLD.bank, bankRef: ref('p'), channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${date}T12:00:00+05:00`, ...overrides,
  });
  if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
  return outcome.payment;
}

const waitForStatus = (bank: string, date: string, status: SettlementState['status']) =>
  waitFor(`settlement ${bank} ${date} ${status}`, async () => {
    const s = await getSettlementState(h.ctx, bank, date);
    return s?.status === status ? s : undefined;
  });

async function settle(bank: string, date: string): Promise<SettlementState> {
  await startSettlement(h.ctx, bank, date, { operator: 'tester', options: { confirmDeadlineMs: 600_000 } });
  const delivered = await waitForStatus(bank, date, 'delivered');
  const confirmed = await confirmTransfers(h.ctx, bank, date, { transferRef: `TR-${bank}-${date}` });
  if (!confirmed.ok) throw new Error(`confirmation refused: ${confirmed.code}`);
  await waitForStatus(bank, date, 'settled');
  return delivered;
}

const registersOf = (key: string, date: string) => call('GET', `/v1/provider/registers?date=${date}`, key);
const waitForRegister = (key: string, date: string, version = 1) =>
  waitFor(`register of ${date}`, async () => {
    const res = await registersOf(key, date);
    return res.body?.registers?.length >= version ? res.body.registers[version - 1] : undefined;
  });

/** The CSV's payment and adjustment rows summed per bank, and its BANK_TOTAL rows. */
function csvSums(csv: string): { lines: Record<string, string>; bankTotals: Record<string, string>; total: string } {
  const rows = csv.trimEnd().split('\r\n').slice(1).map((r) => r.split(','));
  const lines: Record<string, Money> = {};
  const bankTotals: Record<string, string> = {};
  let total = '';
  for (const r of rows) {
    const [bank, kind, amount] = [r[2] as string, r[4] as string, r[7] as string];
    if (kind === 'BANK_TOTAL') bankTotals[bank] = amount;
    else if (kind === 'TOTAL') total = amount;
    else lines[bank] = (lines[bank] ?? new Money(0)).plus(amount);
  }
  return { lines: Object.fromEntries(Object.entries(lines).map(([b, v]) => [b, formatAmount(v)])), bankTotals, total };
}

beforeAll(async () => {
  h = await startHarness('provreg');
  ctx = { ...h.ctx, db: h.database.db };
  const db = h.database.db;
  await createPaymentWorld(db);
  await db('personal_accounts').insert({ number: WATER_ACCOUNT, holder_name: 'Соседов С. С.', address: 'г. Алматы, пр. Абая, 10, кв. 6' });
  const [invoice] = await db('invoices').insert({ account_number: WATER_ACCOUNT, period: '2026-11-01', due_date: '2026-12-25' }).returning('id');
  await db('invoice_lines').insert({ invoice_id: invoice.id, service_code: 'CWATER', opening_balance: '0.00', charged: '1000.00', amount_due: '1000.00' });
  keys.HSBK = (await createApiKey(db, 'HSBK', 'test')).key;
  keys.AES = (await createProviderKey(db, 'AES')).key;
  keys.SU = (await createProviderKey(db, 'ALMATY_SU')).key;
  server = await startApiServer({ db: h.database.appDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port: 0, logger: false });
});

afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe('provider registers', () => {
  let day1: string;
  let moved: { bankRef: string };

  it('builds each provider\'s register once both banks\' lists are out, adding up to its lines on every list', async () => {
    const db = h.database.db;
    day1 = pastWeekday();
    moved = await pay(day1, { readings: [{ service: 'ELEC', value: '1600' }] }); // HSBK cash desk: AES 300.00, ALMATY_SU 150.00
    const online = await pay(day1, { channel: 'online', amount: '1000.00', lines: [{ service: 'ELEC', amount: '1000.00' }], bankRef: 'o'.repeat(40) + run }); // a bank reference over 35 characters
    const kiosk = await pay(day1, { bankCode: WORLD.otherBank, channel: 'kiosk', amount: '900.00' }); // CASP: AES 600.00, ALMATY_SU 300.00
    const reversed = await pay(day1, { amount: '500.00', lines: [{ service: 'SEWER', amount: '500.00' }] });
    // Reversed before the close (a refund correction in the open day): its money is in no list and no register.
    const refund = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: reversed.bankRef, kind: 'refund', reason: 'paid twice', operator: 'alice' });
    expect((await decideCorrection(ctx, refund.correctionId, { operator: 'bob', role: 'supervisor', approve: true })).applied).toMatchObject({ mode: 'reposted' });

    const hsbk = await settle('HSBK', day1);
    // One bank's list alone is not the day: nothing for the providers yet.
    expect((await registersOf(keys.AES, day1)).body.registers).toEqual([]);
    const casp = await settle('CASP', day1);

    for (const [key, provider] of [[keys.AES, 'AES'], [keys.SU, 'ALMATY_SU']] as const) {
      const reg = await waitForRegister(key, day1);
      const lists = Object.fromEntries([hsbk, casp].flatMap((s) => s.lines.filter((l) => l.providerId === provider).map((l) => [s.bankCode, l.amount])));
      expect(Object.fromEntries(reg.banks.map((b: { bankCode: string; total: string }) => [b.bankCode, b.total]))).toEqual(lists);
      expect(reg.total).toBe(formatAmount(Object.values(lists).reduce((t, a) => t.plus(a), new Money(0))));

      const csv = await call('GET', reg.files.find((f: { format: string }) => f.format === 'csv').url, key);
      expect(csv.status).toBe(200);
      const sums = csvSums(csv.text);
      expect(sums.lines).toEqual(lists);
      expect(sums.bankTotals).toEqual(lists);
      expect(sums.total).toBe(reg.total);
      expect(csv.text).not.toContain(reversed.bankRef);

      const xml = await call('GET', reg.files.find((f: { format: string }) => f.format === 'camt054').url, key);
      expect(validateWithXsd(xml.text, CAMT054_XSD_PATH)).toEqual({ ok: true, output: expect.stringContaining('validates') });
      const again = await call('GET', reg.files.find((f: { format: string }) => f.format === 'camt054').url, key);
      expect(createHash('sha256').update(again.text).digest('hex')).toBe(reg.files.find((f: { format: string }) => f.format === 'camt054').sha256);
      expect(again.text).toBe(xml.text);
    }
    const aes = await waitForRegister(keys.AES, day1);
    const aesCsv = (await call('GET', `/v1/provider/registers/${encodeURIComponent(aes.id)}/register.csv`, keys.AES)).text;
    expect(aesCsv).toContain(`,HSBK,HSBK${day1.replace(/-/g, '')}-001,payment,${WORLD.account},ELEC,300.00,${moved.bankRef},cash_desk,`);
    expect(aesCsv).toContain(',1600.000,');
    expect(aesCsv).toContain(`,online,`);
    expect(aesCsv).toContain(`,${kiosk.bankRef},kiosk,`);
    const aesXml = (await call('GET', `/v1/provider/registers/${encodeURIComponent(aes.id)}/camt054.xml`, keys.AES)).text;
    expect(aesXml).toContain(`<AddtlTxInf>bankRef=${online.bankRef}</AddtlTxInf>`);
    // Stored once: a second build finds the same content and writes nothing.
    expect(await db('provider_registers').where({ business_date: day1 }).count<{ n: string }[]>({ n: '*' })).toEqual([{ n: '2' }]);
  });

  it('carries a correction after settlement into the next day\'s register as an adjustment line with its reference', async () => {
    const move = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: moved.bankRef, kind: 'move', target: { account: WATER_ACCOUNT }, reason: 'wrong account', operator: 'alice' });
    expect((await decideCorrection(ctx, move.correctionId, { operator: 'bob', role: 'supervisor', approve: true })).applied).toMatchObject({ mode: 'adjusted' });
    const day2 = pastWeekday();
    await pay(day2, { amount: '900.00' }); // AES 600.00, ALMATY_SU 300.00
    const next = await settle('HSBK', day2);
    for (const [key, provider, adjustment] of [[keys.AES, 'AES', '-300.00'], [keys.SU, 'ALMATY_SU', '300.00']] as const) {
      const reg = await waitForRegister(key, day2);
      const line = next.lines.find((l) => l.providerId === provider);
      expect(reg.banks).toEqual([expect.objectContaining({ bankCode: 'HSBK', total: line?.amount, endToEndId: line?.endToEndId })]);
      const csv = (await call('GET', `/v1/provider/registers/${encodeURIComponent(reg.id)}/register.csv`, key)).text;
      expect(csv).toContain(`,adjustment,,,${adjustment},${moved.bankRef},,,,${move.ref}\r\n`);
      expect(csvSums(csv).lines).toEqual({ HSBK: line?.amount });
      const xml = (await call('GET', `/v1/provider/registers/${encodeURIComponent(reg.id)}/camt054.xml`, key)).text;
      expect(validateWithXsd(xml, CAMT054_XSD_PATH).ok).toBe(true);
      expect(xml).toContain(`<Ref>${move.ref}</Ref>`);
    }
  });

  it('lets a provider key read its own registers only, and keeps bank and provider keys on their own routes', async () => {
    const su = (await registersOf(keys.SU, day1)).body.registers[0];
    const stolen = await call('GET', `/v1/provider/registers/${encodeURIComponent(su.id)}/register.csv`, keys.AES);
    expect([stolen.status, stolen.body.code]).toEqual([404, 'NOT_FOUND']);
    expect((await registersOf(keys.AES, day1)).body.registers.map((r: { id: string }) => r.id)).toEqual([`AES:${day1}:v1`]);
    // A provider key opens no bank route; a bank key opens no provider route.
    expect((await call('GET', `/v1/settlements?date=${day1}`, keys.AES)).status).toBe(401);
    expect((await call('GET', `/v1/settlements/HSBK:${day1}/list.csv`, keys.SU)).status).toBe(401);
    const bank = await registersOf(keys.HSBK, day1);
    expect([bank.status, bank.body.code]).toEqual([401, 'PROVIDER_KEY_REQUIRED']);
    expect((await call('GET', `/v1/provider/registers/${encodeURIComponent(su.id)}/register.csv`, keys.HSBK)).status).toBe(401);
    const noScope = (await createProviderKey(h.database.db, 'AES', { scopes: ['readings'] })).key;
    expect((await registersOf(noScope, day1)).body.code).toBe('KEY_SCOPE');
    for (const bad of ['2022-13-01', '20220301', '']) {
      const res = await registersOf(keys.AES, bad);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
    expect((await call('GET', `/v1/provider/registers/${encodeURIComponent(su.id)}/other.pdf`, keys.SU)).status).toBe(400);
  });

  it('matches the transfers a provider reports to the lists\' lines: matched, short, unknown, awaiting; bad reports write nothing', async () => {
    const db = h.database.db;
    const aes = await waitForRegister(keys.AES, day1);
    const hsbkLine = aes.banks.find((b: { bankCode: string }) => b.bankCode === 'HSBK');
    const caspLine = aes.banks.find((b: { bankCode: string }) => b.bankCode === 'CASP');
    const short = formatAmount(new Money(hsbkLine.total).minus('0.01'));
    const count = async () => (await db('provider_transfers').count<{ n: string }[]>({ n: '*' }))[0]?.n;

    // Bad input first: each refused with a code, nothing written.
    const bad: Array<[unknown, number, string]> = [
      [{ transfers: [{ bankCode: 'HSBK', businessDate: day1, amount: '10.001', statementRef: 'S-1' }] }, 400, 'MALFORMED_TRANSFERS'],
      [{ transfers: [{ bankCode: 'HSBK', businessDate: day1, amount: 10, statementRef: 'S-1' }] }, 400, 'MALFORMED_TRANSFERS'],
      [{ transfers: [] }, 400, 'MALFORMED_TRANSFERS'],
      [{ transfers: [{ bankCode: 'HSBK', businessDate: day1, amount: '1.00', statementRef: 'S-1' }, { bankCode: 'HSBK', businessDate: day1, amount: '2.00', statementRef: 'S-1' }] }, 400, 'MALFORMED_TRANSFERS'],
      [{ transfers: [{ bankCode: 'HSBK', businessDate: day1, amount: '1.00', statementRef: 'S-1' }, { bankCode: 'NONE', businessDate: day1, amount: '2.00', statementRef: 'S-2' }] }, 422, 'UNKNOWN_BANK'],
    ];
    for (const [json, status, code] of bad) {
      const res = await call('POST', '/v1/provider/transfers', keys.AES, json);
      expect([res.status, res.body.code]).toEqual([status, code]);
    }
    expect(await count()).toBe('0');
    expect((await call('POST', '/v1/provider/transfers', keys.HSBK, { transfers: [] })).status).toBe(401);

    const unknownDay = pastWeekday();
    const posted = await call('POST', '/v1/provider/transfers', keys.AES, { transfers: [
      { bankCode: 'HSBK', businessDate: day1, amount: short, statementRef: `ST-${run}-1`, receivedOn: addDays(day1, 1) },
      { bankCode: 'HSBK', businessDate: unknownDay, amount: '5.00', statementRef: `ST-${run}-2` },
    ] });
    expect(posted.status).toBe(200);
    expect(posted.body.recorded).toBe(2);
    expect(posted.body.matches).toHaveLength(2);
    expect(posted.body.matches).toEqual(expect.arrayContaining([
      expect.objectContaining({ bankCode: 'HSBK', businessDate: day1, expected: hsbkLine.total, received: short, difference: '0.01', status: 'short', endToEndId: hsbkLine.endToEndId }),
      expect.objectContaining({ bankCode: 'HSBK', businessDate: unknownDay, expected: null, received: '5.00', status: 'unknown' }),
    ]));
    // The CSV extract of a bank statement, semicolon separated.
    const csv = await fetch(`${server.url}/v1/provider/transfers`, {
      method: 'POST', headers: { authorization: `Bearer ${keys.AES}`, 'content-type': 'text/csv' },
      body: `bank_code;business_date;amount;statement_ref\nCASP;${day1};${caspLine.total};ST-${run}-3\n`,
    });
    expect(csv.status).toBe(200);
    expect(((await csv.json()) as { matches: unknown[] }).matches).toEqual([expect.objectContaining({ bankCode: 'CASP', status: 'matched', difference: '0.00' })]);
    // The same report again is the same transfers; the same reference with another amount is refused whole.
    const again = await call('POST', '/v1/provider/transfers', keys.AES, { transfers: [{ bankCode: 'HSBK', businessDate: day1, amount: short, statementRef: `ST-${run}-1` }] });
    expect([again.status, again.body.recorded, again.body.repeated]).toEqual([200, 0, 1]);
    const conflict = await call('POST', '/v1/provider/transfers', keys.AES, { transfers: [
      { bankCode: 'HSBK', businessDate: day1, amount: '1.00', statementRef: `ST-${run}-9` },
      { bankCode: 'HSBK', businessDate: day1, amount: '1.00', statementRef: `ST-${run}-1` },
    ] });
    expect([conflict.status, conflict.body.code]).toEqual([409, 'STATEMENT_REF_CONFLICT']);
    expect(await count()).toBe('3');

    const day = await call('GET', `/v1/provider/transfers?date=${day1}`, keys.AES);
    expect(day.body.matches.map((m: { bankCode: string; status: string }) => [m.bankCode, m.status])).toEqual([['CASP', 'matched'], ['HSBK', 'short']]);
    // Another provider sees its own lines, nothing reported: awaiting.
    const su = await call('GET', `/v1/provider/transfers?date=${day1}`, keys.SU);
    expect(su.body.matches.map((m: { bankCode: string; status: string; bankConfirmedAt: string | null }) => [m.bankCode, m.status, m.bankConfirmedAt !== null])).toEqual([['CASP', 'awaiting', true], ['HSBK', 'awaiting', true]]);
  });

  it('audits each provider\'s day: register = lists = received + open differences, and names a breach', async () => {
    const report = await auditProviders(h.database.db, day1);
    expect(report.breaches).toEqual([]);
    const aes = report.providers.find((p) => p.providerId === 'AES');
    expect(aes).toMatchObject({ registerId: `AES:${day1}:v1`, ok: true, openDifferences: '0.01' });
    expect(aes?.registerTotal).toBe(aes?.listsTotal);
    expect(formatAmount(new Money(aes?.received ?? 'NaN').plus(aes?.openDifferences ?? 'NaN'))).toBe(aes?.listsTotal);
    const su = report.providers.find((p) => p.providerId === 'ALMATY_SU');
    expect(su).toMatchObject({ ok: true, received: '0.00', openDifferences: su?.listsTotal });
    // A list line changed behind the register's back is a breach the audit names.
    await h.database.db('settlement_lines').where({ settlement_id: `CASP:${day1}`, provider_id: 'ALMATY_SU' }).increment('amount', 1);
    const broken = await auditProviders(h.database.db, day1, 'ALMATY_SU');
    expect(broken.ok).toBe(false);
    expect(broken.breaches).toEqual([expect.objectContaining({ providerId: 'ALMATY_SU', detail: expect.stringContaining(`register ALMATY_SU:${day1}:v1 totals`) })]);
    await h.database.db('settlement_lines').where({ settlement_id: `CASP:${day1}`, provider_id: 'ALMATY_SU' }).decrement('amount', 1);
    expect((await auditProviders(h.database.db, day1)).ok).toBe(true);
  });

  it('raises a TRANSFER_NOT_RECEIVED case for a confirmed line not reported received in full within N working days, once', async () => {
    const db = h.database.db;
    // Nothing is due the day the banks confirmed.
    expect(await raiseUnreportedTransferCases(ctx, { workingDays: 3 })).toEqual([]);
    const later = new Date(Date.now() + 30 * 24 * 60 * 60_000);
    const raised = await raiseUnreportedTransferCases(ctx, { workingDays: 3, asOf: later });
    const ids = raised.map((c) => c.complaintId);
    // AES's HSBK line arrived short, ALMATY_SU reported nothing; AES's CASP line is matched.
    expect(ids).toEqual(expect.arrayContaining([`HSBK:AES/${day1}:TRANSFER_NOT_RECEIVED`, `HSBK:ALMATY_SU/${day1}:TRANSFER_NOT_RECEIVED`, `CASP:ALMATY_SU/${day1}:TRANSFER_NOT_RECEIVED`]));
    expect(ids).not.toContain(`CASP:AES/${day1}:TRANSFER_NOT_RECEIVED`);
    const listed = await listComplaints(db, { bank: 'HSBK' });
    expect(listed.find((c) => c.id === `HSBK:AES/${day1}:TRANSFER_NOT_RECEIVED`)).toMatchObject({ disposition: 'TRANSFER_NOT_RECEIVED', status: 'open', raisedBy: 'spc' });
    expect(await raiseUnreportedTransferCases(ctx, { workingDays: 3, asOf: later })).toEqual([]);
    // A bank cannot raise this disposition itself.
    const byBank = await call('POST', '/v1/complaints', keys.HSBK, { bankRef: `AES/${day1}`, disposition: 'TRANSFER_NOT_RECEIVED', text: 'x' });
    expect([byBank.status, byBank.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
