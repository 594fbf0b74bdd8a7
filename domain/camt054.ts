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
import { type XmlElement, charLength, el, fitText, renderXmlDocument } from './xml';

export const CAMT054_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08';
const MAX35 = 35;
const MAX140 = 140;

/** 'SPCPR-20261207-v1': unique per receiving provider (each provider only receives its own). */
export function camt054MsgId(businessDate: string, version: number): string {
  return `SPCPR-${businessDate.replace(/-/g, '')}-v${version}`;
}

function amt(value: Money): XmlElement {
  return el('Amt', formatAmount(value.abs()), [['Ccy', CURRENCY]]);
}

function direction(value: Money): XmlElement {
  return el('CdtDbtInd', value.lt(ZERO) ? 'DBIT' : 'CRDT');
}

function bankTxCode(): XmlElement {
  return el('BkTxCd', [el('Domn', [el('Cd', 'PMNT'), el('Fmly', [el('Cd', 'RCDT'), el('SubFmlyCd', 'DMCT')])])]);
}

function refs(section: RegisterBankSection, line: RegisterLine): XmlElement {
  const bankRefFits = charLength(line.bankRef) <= MAX35;
  return el('Refs', [
    el('EndToEndId', section.endToEndId),
    line.kind === 'payment' && bankRefFits ? el('TxId', line.bankRef) : undefined,
    line.kind === 'adjustment' ? el('Prtry', [el('Tp', 'CORRECTION'), el('Ref', line.correctionRef)]) : undefined,
  ]);
}

function remittance(line: RegisterLine): XmlElement {
  if (line.kind === 'adjustment') return el('RmtInf', [el('Ustrd', fitText(`correction ${line.correctionRef} of payment ${line.bankRef}`, MAX140, 'adjustment text'))]);
  const text = `service=${line.service}; channel=${line.channel}${line.reading === null ? '' : `; reading=${line.reading}`}`;
  return el('RmtInf', [el('Ustrd', fitText(text, MAX140, 'payment text')), el('Strd', [el('CdtrRefInf', [el('Ref', line.account)])])]);
}

function transaction(section: RegisterBankSection, line: RegisterLine): XmlElement {
  const value = new Money(line.amount);
  const longRef = charLength(line.bankRef) > MAX35;
  return el('TxDtls', [
    refs(section, line),
    amt(value),
    direction(value),
    el('RltdAgts', [el('DbtrAgt', [el('FinInstnId', [el('BICFI', section.bankBic)])])]),
    remittance(line),
    line.kind === 'payment' ? el('RltdDts', [el('AccptncDtTm', line.paidAt)]) : undefined,
    // A bank reference is up to 64 characters; Max35Text fields cannot hold the longer ones.
    longRef ? el('AddtlTxInf', `bankRef=${line.bankRef}`) : undefined,
  ]);
}

function entry(section: RegisterBankSection): XmlElement {
  const value = new Money(section.listAmount);
  return el('Ntry', [
    el('NtryRef', section.endToEndId),
    amt(value),
    direction(value),
    el('Sts', [el('Cd', 'INFO')]),
    el('ValDt', [el('Dt', section.executionDate)]),
    bankTxCode(),
    el('NtryDtls', [
      el('Btch', [el('PmtInfId', section.settlementId.slice(0, MAX35)), el('NbOfTxs', String(section.lines.length))]),
      ...section.lines.map((l) => transaction(section, l)),
    ]),
    el('AddtlNtryInf', fitText(`${section.bankName} (${section.bankCode}), list ${section.settlementId}`, 500, 'entry text')),
  ]);
}

export function buildCamt054(input: ProviderRegisterInput, version: number): string {
  assertValidRegister(input);
  const msgId = camt054MsgId(input.businessDate, version);
  const doc = el('Document', [
    el('BkToCstmrDbtCdtNtfctn', [
      el('GrpHdr', [el('MsgId', msgId), el('CreDtTm', input.createdAt)]),
      el('Ntfctn', [
        el('Id', msgId),
        el('CreDtTm', input.createdAt),
        el('Acct', [el('Id', [el('IBAN', input.providerIban)]), el('Ccy', CURRENCY), el('Ownr', [el('Nm', fitText(input.providerName, MAX140, 'provider name'))])]),
        ...input.banks.map(entry),
        el('AddtlNtfctnInf', `SPC payment register ${input.registerId}, business date ${input.businessDate}, total ${formatAmount(registerTotal(input))} KZT`),
      ]),
    ]),
  ], [['xmlns', CAMT054_NAMESPACE]]);
  const xml = renderXmlDocument(doc);
  assertWrittenEntries(xml, input);
  return xml;
}

const NTRY_AMOUNT_RE = /<Ntry>\n\s*<NtryRef>[^<]*<\/NtryRef>\n\s*<Amt Ccy="KZT">([0-9.]+)<\/Amt>/g;

/** Reads the entries' amounts back from the bytes written: they must sum to the register's total. */
function assertWrittenEntries(xml: string, input: ProviderRegisterInput): void {
  const written = sum([...xml.matchAll(NTRY_AMOUNT_RE)].map((m) => new Money(m[1] ?? 'NaN')));
  const expected = registerTotal(input);
  if (!written.eq(expected)) throw new Error(`invariant: camt.054 entries sum to ${formatAmount(written)}, the register to ${formatAmount(expected)}`);
}
