// The payment_list_files check of the ledger audit: the files the SPC handed to a bank (CSV and
// pain.001 XML, stored in settlement_files) must carry exactly the settlement's lines. The CSV is
// read back with the same parser the tests use; the XML with a reader of the few elements whose
// values are money (we wrote the file, so its shape is known; xmllint validates the schema).
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { Money, formatAmount, sum } from '../domain/money';
import { parseSettlementCsv } from '../domain/settlement-csv';
import { isValidKzIban } from '../domain/identifiers';
import type { LedgerBreach, LedgerScope } from './ledger-types';

interface LineRow {
  settlement_id: string;
  line_no: number;
  provider_id: string;
  amount: string;
  payment_count: number;
  end_to_end_id: string;
  /** The provider's IBAN in the master data now. */
  provider_iban: string;
}

interface ListedLine {
  endToEndId: string;
  amount: string;
  providerId?: string;
  paymentCount?: number;
  /** The creditor's IBAN (pain.001 CdtrAcct). */
  iban?: string;
}

export interface Pain001Totals {
  nbOfTxs: number;
  ctrlSum: string;
  /** Each PmtInf's own NbOfTxs and CtrlSum, which banks check as well as the group header's. */
  paymentInfos: Array<{ nbOfTxs: number | null; ctrlSum: string | null }>;
  transfers: ListedLine[];
}

const tagValue = (xml: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];

/** Reads GrpHdr's NbOfTxs and CtrlSum and each CdtTrfTxInf's EndToEndId and InstdAmt. */
export function readPain001Totals(xml: string): Pain001Totals {
  const header = /<GrpHdr>([\s\S]*?)<\/GrpHdr>/.exec(xml)?.[1];
  if (!header) throw new Error('no GrpHdr element');
  const transfers = [...xml.matchAll(/<CdtTrfTxInf>([\s\S]*?)<\/CdtTrfTxInf>/g)].map((m) => {
    const block = m[1] ?? '';
    const amount = /<InstdAmt Ccy="KZT">([^<]*)<\/InstdAmt>/.exec(block)?.[1];
    const endToEndId = tagValue(block, 'EndToEndId');
    if (!amount || !endToEndId) throw new Error('a CdtTrfTxInf without EndToEndId or KZT InstdAmt');
    const iban = /<CdtrAcct>[\s\S]*?<IBAN>([^<]*)<\/IBAN>/.exec(block)?.[1];
    return { endToEndId, amount, ...(iban === undefined ? {} : { iban }) };
  });
  const paymentInfos = [...xml.matchAll(/<PmtInf>([\s\S]*?)<\/PmtInf>/g)].map((m) => {
    // The PmtInf's own totals come before its first CdtTrfTxInf.
    const head = (m[1] ?? '').split('<CdtTrfTxInf>')[0] ?? '';
    const nbOfTxs = tagValue(head, 'NbOfTxs');
    return { nbOfTxs: nbOfTxs === undefined ? null : Number(nbOfTxs), ctrlSum: tagValue(head, 'CtrlSum') ?? null };
  });
  return { nbOfTxs: Number(tagValue(header, 'NbOfTxs')), ctrlSum: tagValue(header, 'CtrlSum') ?? '', paymentInfos, transfers };
}

function compareLines(lines: LineRow[], listed: ListedLine[]): string[] {
  const problems: string[] = [];
  const byE2e = new Map(listed.map((l) => [l.endToEndId, l]));
  for (const line of lines) {
    const l = byE2e.get(line.end_to_end_id);
    byE2e.delete(line.end_to_end_id);
    if (!l) {
      problems.push(`line ${line.line_no} (${line.end_to_end_id}) is missing`);
      continue;
    }
    if (!new Money(l.amount).eq(line.amount)) problems.push(`line ${line.line_no} (${line.end_to_end_id}) has ${l.amount}, the settlement ${line.amount}`);
    if (l.providerId !== undefined && l.providerId !== line.provider_id) problems.push(`line ${line.line_no} pays ${l.providerId}, the settlement ${line.provider_id}`);
    if (l.paymentCount !== undefined && l.paymentCount !== line.payment_count) problems.push(`line ${line.line_no} counts ${l.paymentCount} payments, the settlement ${line.payment_count}`);
    if (l.iban !== undefined && l.iban !== line.provider_iban) {
      problems.push(`line ${line.line_no} pays creditor IBAN ${l.iban}, the master data of ${line.provider_id} has ${line.provider_iban}`);
    }
    if (l.iban !== undefined && !isValidKzIban(l.iban)) problems.push(`line ${line.line_no} pays creditor IBAN ${l.iban}, whose check digits are wrong`);
  }
  for (const extra of byE2e.keys()) problems.push(`carries ${extra}, which is not a line of the settlement`);
  return problems;
}

function checkFile(format: string, text: string, lines: LineRow[]): string[] {
  const linesTotal = formatAmount(sum(lines.map((l) => new Money(l.amount))));
  if (format === 'csv') {
    const parsed = parseSettlementCsv(text);
    const problems = compareLines(lines, parsed.lines);
    if (parsed.total.amount !== linesTotal) problems.push(`TOTAL ${parsed.total.amount}, the lines ${linesTotal}`);
    return problems;
  }
  const totals = readPain001Totals(text);
  const problems = compareLines(lines, totals.transfers);
  if (totals.ctrlSum !== linesTotal) problems.push(`CtrlSum ${totals.ctrlSum}, the lines ${linesTotal}`);
  if (totals.nbOfTxs !== lines.length) problems.push(`NbOfTxs ${totals.nbOfTxs}, the settlement has ${lines.length} lines`);
  if (totals.paymentInfos.length !== 1) problems.push(`${totals.paymentInfos.length} PmtInf blocks, a list has exactly one`);
  for (const [i, p] of totals.paymentInfos.entries()) {
    if (p.ctrlSum !== linesTotal) problems.push(`PmtInf ${i + 1} CtrlSum ${p.ctrlSum}, the lines ${linesTotal}`);
    if (p.nbOfTxs !== lines.length) problems.push(`PmtInf ${i + 1} NbOfTxs ${p.nbOfTxs}, the settlement has ${lines.length} lines`);
  }
  return problems;
}

export async function checkPaymentListFiles(db: Knex, scope: LedgerScope): Promise<LedgerBreach[]> {
  const q = db('settlement_files as f').join('settlements as s', 's.id', 'f.settlement_id').select('f.settlement_id', 'f.format', 'f.content', 'f.sha256');
  if (scope.date) q.where('s.business_date', scope.date);
  if (scope.bank) q.where('s.bank_code', scope.bank);
  const files = (await q.orderBy(['f.settlement_id', 'f.format'])) as Array<{ settlement_id: string; format: string; content: Buffer; sha256: string }>;
  if (files.length === 0) return [];
  const lineRows = (await db('settlement_lines as l')
    .join('providers as p', 'p.id', 'l.provider_id')
    .whereIn('l.settlement_id', [...new Set(files.map((f) => f.settlement_id))])
    .orderBy(['l.settlement_id', 'l.line_no'])
    .select('l.settlement_id', 'l.line_no', 'l.provider_id', 'l.amount', 'l.payment_count', 'l.end_to_end_id', 'p.iban as provider_iban')) as LineRow[];
  const linesOf = new Map<string, LineRow[]>();
  for (const l of lineRows) linesOf.set(l.settlement_id, [...(linesOf.get(l.settlement_id) ?? []), l]);

  const breaches: LedgerBreach[] = [];
  for (const f of files) {
    const subject = `${f.format} file of settlement ${f.settlement_id}`;
    const keys = { settlement_id: f.settlement_id, format: f.format };
    const digest = createHash('sha256').update(f.content).digest('hex');
    if (digest !== f.sha256) breaches.push({ check: 'payment_list_files', subject, detail: `content SHA-256 ${digest} differs from the recorded ${f.sha256}`, keys });
    let problems: string[];
    try {
      problems = checkFile(f.format, f.content.toString('utf8'), linesOf.get(f.settlement_id) ?? []);
    } catch (err) {
      problems = [`cannot be read: ${(err as Error).message}`];
    }
    for (const detail of problems) breaches.push({ check: 'payment_list_files', subject, detail, keys });
  }
  return breaches;
}
