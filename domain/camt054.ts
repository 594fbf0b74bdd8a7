// The provider register as ISO 20022 camt.054.001.08 (BankToCustomerDebitCreditNotificationV08),
// the message a bank sends an account owner about credits to its account: the SPC tells the
// provider what each bank's list credits to the provider's IBAN. Layout (docs/provider-api.md):
// one Ntfctn per provider and business day; one Ntry per bank list line (NtryRef and every TxDtls'
// EndToEndId = the list line's EndToEndId, which the bank's transfer carries), status INFO (the SPC
// is not the account servicer, so nothing here is "booked"), BkTxCd PMNT/RCDT/DMCT; one TxDtls per
// payment line (the bank reference in TxId, or in AddtlTxInf when longer than Max35Text) and per
// correction adjustment (the correction reference in Refs/Prtry, DBIT when it takes money back).
// Validates against schemas/iso20022/camt.054.001.08.xsd (test/unit/camt054.test.ts runs xmllint).
// Pure and deterministic: identical input gives identical bytes.
import { Money, ZERO, formatAmount, sum } from './money';
import { CURRENCY } from './pain001';
import { type ProviderRegisterInput, type RegisterBankSection, type RegisterLine, assertValidRegister, registerTotal } from './provider-register';
import { XML_DECLARATION, charLength, fitText, xmlClose, xmlLeaf, xmlOpen } from './xml';

export const CAMT054_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08';
const MAX35 = 35;
const MAX140 = 140;

/** 'SPCPR-20261207-v1': unique per receiving provider (each provider only receives its own). */
export function camt054MsgId(businessDate: string, version: number): string {
  return `SPCPR-${businessDate.replace(/-/g, '')}-v${version}`;
}

// Written as strings, one chunk per transaction (domain/xml.ts: the same bytes as the tree
// renderer; the tree of a 60 000-line register cost seconds of GC per build). Depths follow the
// nesting: Document 0, BkToCstmrDbtCdtNtfctn 1, Ntfctn 2, Ntry 3, NtryDtls 4, TxDtls 5.
const CCY_ATTRIBUTES = [['Ccy', CURRENCY]] as const;

function amountLines(depth: number, value: Money): string {
  return xmlLeaf(depth, 'Amt', formatAmount(value.abs()), CCY_ATTRIBUTES) + xmlLeaf(depth, 'CdtDbtInd', value.lt(ZERO) ? 'DBIT' : 'CRDT');
}

const BANK_TX_CODE = xmlOpen(4, 'BkTxCd') + xmlOpen(5, 'Domn') + xmlLeaf(6, 'Cd', 'PMNT') + xmlOpen(6, 'Fmly')
  + xmlLeaf(7, 'Cd', 'RCDT') + xmlLeaf(7, 'SubFmlyCd', 'DMCT') + xmlClose(6, 'Fmly') + xmlClose(5, 'Domn') + xmlClose(4, 'BkTxCd');

function refs(endToEndId: string, line: RegisterLine): string {
  let out = xmlOpen(6, 'Refs') + endToEndId;
  if (line.kind === 'payment' && charLength(line.bankRef) <= MAX35) out += xmlLeaf(7, 'TxId', line.bankRef);
  if (line.kind === 'adjustment') out += xmlOpen(7, 'Prtry') + xmlLeaf(8, 'Tp', 'CORRECTION') + xmlLeaf(8, 'Ref', line.correctionRef) + xmlClose(7, 'Prtry');
  return out + xmlClose(6, 'Refs');
}

function remittance(line: RegisterLine): string {
  if (line.kind === 'adjustment') {
    return xmlOpen(6, 'RmtInf') + xmlLeaf(7, 'Ustrd', fitText(`correction ${line.correctionRef} of payment ${line.bankRef}`, MAX140, 'adjustment text')) + xmlClose(6, 'RmtInf');
  }
  const text = `service=${line.service}; channel=${line.channel}${line.reading === null ? '' : `; reading=${line.reading}`}`;
  return xmlOpen(6, 'RmtInf') + xmlLeaf(7, 'Ustrd', fitText(text, MAX140, 'payment text'))
    + xmlOpen(7, 'Strd') + xmlOpen(8, 'CdtrRefInf') + xmlLeaf(9, 'Ref', line.account) + xmlClose(8, 'CdtrRefInf') + xmlClose(7, 'Strd') + xmlClose(6, 'RmtInf');
}

/** What every TxDtls of a section shares: its EndToEndId line and its bank's agent. */
interface SectionParts {
  endToEndId: string;
  agent: string;
}

function transaction(parts: SectionParts, line: RegisterLine): string {
  const value = new Money(line.amount);
  let out = xmlOpen(5, 'TxDtls') + refs(parts.endToEndId, line) + amountLines(6, value) + parts.agent + remittance(line);
  if (line.kind === 'payment') out += xmlOpen(6, 'RltdDts') + xmlLeaf(7, 'AccptncDtTm', line.paidAt) + xmlClose(6, 'RltdDts');
  // A bank reference is up to 64 characters; Max35Text fields cannot hold the longer ones.
  if (charLength(line.bankRef) > MAX35) out += xmlLeaf(6, 'AddtlTxInf', `bankRef=${line.bankRef}`);
  return out + xmlClose(5, 'TxDtls');
}

/** The entry's opening lines up to its amount, read back by assertWrittenEntries. */
function entryHead(section: RegisterBankSection): string {
  return xmlOpen(3, 'Ntry') + xmlLeaf(4, 'NtryRef', section.endToEndId) + amountLines(4, new Money(section.listAmount));
}

/** Appends the entry's chunks to `out`; its head chunk also to `heads`, for the read-back. */
function writeEntry(section: RegisterBankSection, out: string[], heads: string[]): void {
  const parts: SectionParts = {
    endToEndId: xmlLeaf(7, 'EndToEndId', section.endToEndId),
    agent: xmlOpen(6, 'RltdAgts') + xmlOpen(7, 'DbtrAgt') + xmlOpen(8, 'FinInstnId') + xmlLeaf(9, 'BICFI', section.bankBic)
      + xmlClose(8, 'FinInstnId') + xmlClose(7, 'DbtrAgt') + xmlClose(6, 'RltdAgts'),
  };
  const head = entryHead(section);
  heads.push(head);
  out.push(head + xmlOpen(4, 'Sts') + xmlLeaf(5, 'Cd', 'INFO') + xmlClose(4, 'Sts')
    + xmlOpen(4, 'ValDt') + xmlLeaf(5, 'Dt', section.executionDate) + xmlClose(4, 'ValDt') + BANK_TX_CODE
    + xmlOpen(4, 'NtryDtls') + xmlOpen(5, 'Btch') + xmlLeaf(6, 'PmtInfId', section.settlementId.slice(0, MAX35))
    + xmlLeaf(6, 'NbOfTxs', String(section.lines.length)) + xmlClose(5, 'Btch'));
  for (const l of section.lines) out.push(transaction(parts, l));
  out.push(xmlClose(4, 'NtryDtls') + xmlLeaf(4, 'AddtlNtryInf', fitText(`${section.bankName} (${section.bankCode}), list ${section.settlementId}`, 500, 'entry text')) + xmlClose(3, 'Ntry'));
}

export function buildCamt054(input: ProviderRegisterInput, version: number): string {
  assertValidRegister(input);
  const msgId = camt054MsgId(input.businessDate, version);
  const out = [`${XML_DECLARATION}\n`, xmlOpen(0, 'Document', [['xmlns', CAMT054_NAMESPACE]]), xmlOpen(1, 'BkToCstmrDbtCdtNtfctn'),
    xmlOpen(2, 'GrpHdr') + xmlLeaf(3, 'MsgId', msgId) + xmlLeaf(3, 'CreDtTm', input.createdAt) + xmlClose(2, 'GrpHdr'),
    xmlOpen(2, 'Ntfctn') + xmlLeaf(3, 'Id', msgId) + xmlLeaf(3, 'CreDtTm', input.createdAt)
    + xmlOpen(3, 'Acct') + xmlOpen(4, 'Id') + xmlLeaf(5, 'IBAN', input.providerIban) + xmlClose(4, 'Id') + xmlLeaf(4, 'Ccy', CURRENCY)
    + xmlOpen(4, 'Ownr') + xmlLeaf(5, 'Nm', fitText(input.providerName, MAX140, 'provider name')) + xmlClose(4, 'Ownr') + xmlClose(3, 'Acct')];
  const heads: string[] = [];
  for (const b of input.banks) writeEntry(b, out, heads);
  out.push(xmlLeaf(3, 'AddtlNtfctnInf', `SPC payment register ${input.registerId}, business date ${input.businessDate}, total ${formatAmount(registerTotal(input))} KZT`)
    + xmlClose(2, 'Ntfctn') + xmlClose(1, 'BkToCstmrDbtCdtNtfctn') + xmlClose(0, 'Document'));
  assertWrittenEntries(heads, input);
  return out.join('');
}

const NTRY_AMOUNT_RE = /^\s*<Ntry>\n\s*<NtryRef>[^<]*<\/NtryRef>\n\s*<Amt Ccy="KZT">([0-9.]+)<\/Amt>/;

/** Reads the entries' amounts back from the lines written: they must sum to the register's total. */
function assertWrittenEntries(heads: readonly string[], input: ProviderRegisterInput): void {
  if (heads.length !== input.banks.length) throw new Error(`invariant: camt.054 has ${heads.length} entries, the register ${input.banks.length} banks`);
  const written = sum(heads.map((h) => new Money(NTRY_AMOUNT_RE.exec(h)?.[1] ?? 'NaN')));
  const expected = registerTotal(input);
  if (!written.eq(expected)) throw new Error(`invariant: camt.054 entries sum to ${formatAmount(written)}, the register to ${formatAmount(expected)}`);
}
