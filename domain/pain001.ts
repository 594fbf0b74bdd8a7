// The payment list as an ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiationV09) message:
// one PmtInf debiting the bank's settlement account, one CdtTrfTxInf per provider. The mapping and
// the reasons behind each choice are in docs/payment-lists.md; the output validates against
// schemas/iso20022/pain.001.001.09.xsd (test/unit/pain001.test.ts runs xmllint on it).
// Pure and deterministic: identical input gives identical bytes (no clock, no randomness, lines in
// lineNo order). No Node built-ins, so workflow code may call it.
import { Money, formatAmount, sum } from './money';
import { type PaymentListInput, type PaymentListLine, assertValidPaymentList, listTotal, sortedLines } from './payment-list';
import { type XmlElement, charLength, el, fitText, renderXmlDocument, sanitizeText, truncateChars } from './xml';

export const PAIN001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';
export const CURRENCY = 'KZT';

/** ISO 20022 Max140Text: names and each unstructured remittance line. */
export const ISO_TEXT_CHARS_MAX = 140;

/** Scheme name under which BINs are given as Othr identifications (proprietary: ISO has no code for it). */
export const BIN_SCHEME = 'BIN';

/** Regulatory reporting authority for KNP/KBe: the codes are the National Bank's (EKNP classifier). */
export const REGULATOR_NAME = 'National Bank of Kazakhstan';
export const REGULATOR_COUNTRY = 'KZ';

/**
 * Below this many characters left for the provider's name, shortening the name no longer keeps
 * the remittance text readable; the whole text is cut at 140 instead.
 */
const REMITTANCE_PROVIDER_CHARS_MIN = 20;

function organisation(name: string, bin: string, what: string): XmlElement[] {
  return [
    el('Nm', fitText(name, ISO_TEXT_CHARS_MAX, what)),
    el('Id', [el('OrgId', [el('Othr', [el('Id', bin), el('SchmeNm', [el('Prtry', BIN_SCHEME)])])])]),
  ];
}

function ibanAccount(iban: string): XmlElement {
  return el('Id', [el('IBAN', iban)]);
}

function agent(bic: string): XmlElement[] {
  return [el('FinInstnId', [el('BICFI', bic)])];
}

function amount(value: string): XmlElement {
  return el('InstdAmt', value, [['Ccy', CURRENCY]]);
}

/** 2026-11-27 -> 27.11.2026, the way dates are written in Kazakh payment details. */
function dottedDate(date: string): string {
  const [y, m, d] = date.split('-');
  return `${d}.${m}.${y}`;
}

/**
 * 'Коммунальные платежи через ЕРЦ <SPC> за 27.11.2026, поставщик <provider>, платежей: 1234',
 * at most 140 characters. When it is too long the provider's name is shortened first, so the
 * date and the payment count (what the provider reconciles by) survive; only a huge SPC name
 * makes the whole text be cut at the end.
 */
export function remittanceText(input: PaymentListInput, line: PaymentListLine): string {
  const prefix = `Коммунальные платежи через ЕРЦ ${sanitizeText(input.initiatingParty.name)} за ${dottedDate(input.businessDate)}, поставщик `;
  const suffix = `, платежей: ${line.paymentCount}${line.adjustment ? adjustmentText(line.adjustment) : ''}`;
  const provider = sanitizeText(line.providerName);
  const room = ISO_TEXT_CHARS_MAX - charLength(prefix) - charLength(suffix);
  let text: string;
  if (room >= REMITTANCE_PROVIDER_CHARS_MIN) text = `${prefix}${truncateChars(provider, room)}${suffix}`;
  // A line that nets corrections in keeps their references whatever gets cut: they explain its amount.
  else if (line.adjustment) text = `${truncateChars(`${prefix}${provider}`, ISO_TEXT_CHARS_MAX - charLength(suffix))}${suffix}`;
  else text = truncateChars(`${prefix}${provider}${suffix}`, ISO_TEXT_CHARS_MAX);
  return fitText(text, ISO_TEXT_CHARS_MAX, `remittance text of line ${line.lineNo}`);
}

/** Longest list of correction references written out; past it the first one and a count. */
const ADJUSTMENT_REFS_CHARS_MAX = 30;

/** ', корректировка K7 -300.00' or ', корректировки K7,K9 +50.00': what the provider reconciles a changed amount by. */
export function adjustmentText(adjustment: { amount: string; refs: string[] }): string {
  const joined = adjustment.refs.join(',');
  const refs = joined.length <= ADJUSTMENT_REFS_CHARS_MAX ? joined : `${adjustment.refs[0]} и ещё ${adjustment.refs.length - 1}`;
  const signed = adjustment.amount.startsWith('-') ? adjustment.amount : `+${adjustment.amount}`;
  return `, ${adjustment.refs.length > 1 ? 'корректировки' : 'корректировка'} ${refs} ${signed}`;
}

function regulatoryReporting(line: PaymentListLine): XmlElement {
  // EKNP codes exist for the National Bank's payment statistics: that is regulatory reporting, and
  // KBe has no other home in pain.001. BOTH: the KNP describes the transfer as a whole.
  return el('RgltryRptg', [
    el('DbtCdtRptgInd', 'BOTH'),
    el('Authrty', [el('Nm', REGULATOR_NAME), el('Ctry', REGULATOR_COUNTRY)]),
    el('Dtls', [el('Tp', 'KNP'), el('Cd', line.knp)]),
    el('Dtls', [el('Tp', 'KBE'), el('Cd', line.kbe)]),
  ]);
}

function creditTransfer(input: PaymentListInput, line: PaymentListLine): XmlElement {
  return el('CdtTrfTxInf', [
    // InstrId = EndToEndId: the id is already unique across all settlements (a database
    // constraint), so the bank's status report traces to the settlement line by either field.
    el('PmtId', [el('InstrId', line.endToEndId), el('EndToEndId', line.endToEndId)]),
    el('Amt', [amount(formatAmount(new Money(line.amount)))]),
    el('CdtrAgt', agent(line.bic)),
    el('Cdtr', organisation(line.providerName, line.providerBin, `name of provider ${line.providerId}`)),
    el('CdtrAcct', [ibanAccount(line.iban)]),
    // Purp/Cd only takes ISO's External Purpose codes; the KNP is the national purpose code, so it
    // goes in Prtry, where a bank mapping its legacy "КНП" field looks first.
    el('Purp', [el('Prtry', line.knp)]),
    regulatoryReporting(line),
    el('RmtInf', [el('Ustrd', remittanceText(input, line))]),
  ]);
}

/** Builds the pain.001.001.09 XML (UTF-8) of a payment list; throws PaymentListInvariantError on a broken list. */
export function buildPain001(input: PaymentListInput): string {
  assertValidPaymentList(input);
  const lines = sortedLines(input);
  const nbOfTxs = String(lines.length);
  const ctrlSum = formatAmount(listTotal(input));

  const transfers = lines.map((line) => creditTransfer(input, line));

  const document = el(
    'Document',
    [
      el('CstmrCdtTrfInitn', [
        el('GrpHdr', [
          el('MsgId', input.msgId),
          el('CreDtTm', input.createdAt),
          el('NbOfTxs', nbOfTxs),
          el('CtrlSum', ctrlSum),
          el('InitgPty', organisation(input.initiatingParty.name, input.initiatingParty.bin, 'initiating party name')),
        ]),
        el('PmtInf', [
          // The settlement's business key: a bank's status report on the PmtInf maps to one settlement row.
          el('PmtInfId', input.settlementId),
          el('PmtMtd', 'TRF'),
          // One debit of the settlement account for the whole list: the bank's statement then shows
          // one line per bank-day, which is what the SPC reconciles against.
          el('BtchBookg', 'true'),
          el('NbOfTxs', nbOfTxs),
          el('CtrlSum', ctrlSum),
          el('PmtTpInf', [el('InstrPrty', 'NORM'), el('CtgyPurp', [el('Cd', 'SUPP')])]),
          el('ReqdExctnDt', [el('Dt', input.executionDate)]),
          el('Dbtr', organisation(input.debtor.name, input.debtor.bin, 'debtor (bank) name')),
          el('DbtrAcct', [ibanAccount(input.debtor.iban)]),
          el('DbtrAgt', agent(input.debtor.bic)),
          // DEBT, not SLEV: there is no scheme service level to defer to, and providers must receive
          // exactly what the payers paid, so any transfer fee is the bank's (the debtor's).
          el('ChrgBr', 'DEBT'),
          ...transfers,
        ]),
      ]),
    ],
    [['xmlns', PAIN001_NAMESPACE]],
  );
  const xml = renderXmlDocument(document);
  assertWrittenTotals(xml, nbOfTxs, ctrlSum);
  return xml;
}

const WRITTEN_AMOUNT_RE = /<InstdAmt Ccy="KZT">([0-9.]+)<\/InstdAmt>/g;

/** Asserts the totals a second time, read back from the bytes written: count and sum of InstdAmt. */
function assertWrittenTotals(xml: string, nbOfTxs: string, ctrlSum: string): void {
  const amounts = [...xml.matchAll(WRITTEN_AMOUNT_RE)].map((m) => new Money(m[1] ?? 'NaN'));
  if (String(amounts.length) !== nbOfTxs) throw new Error(`invariant: ${amounts.length} InstdAmt written, NbOfTxs is ${nbOfTxs}`);
  const written = formatAmount(sum(amounts));
  if (written !== ctrlSum) throw new Error(`invariant: InstdAmt written sum to ${written}, CtrlSum is ${ctrlSum}`);
}
