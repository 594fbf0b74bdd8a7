// The payment list (settlement list) of one bank-day: for each provider, what the bank must transfer
// to the provider's account. This is the input of both file formats (domain/pain001.ts and
// domain/settlement-csv.ts), fixed at aggregation time so that regenerating a file gives the same
// bytes. The checks below run before either file is written: a list that breaks one is a bug in the
// aggregation, and no file must leave the SPC with it.
// Pure: no I/O, no Node built-ins.
import { Money, ZERO, formatAmount, isWholeTiyn, sum } from './money';
import { isValidBin, isValidKzBic, isValidKzIban } from './identifiers';
import { isRealDate } from './instant';

export interface PaymentListParty {
  name: string;
  bin: string;
}

export interface PaymentListDebtor extends PaymentListParty {
  iban: string;
  bic: string;
}

export interface PaymentListLine {
  lineNo: number;
  /** Traces the transfer back to the settlement line, e.g. 'HSBK20261127-001'. */
  endToEndId: string;
  providerId: string;
  providerName: string;
  providerBin: string;
  iban: string;
  bic: string;
  /** Kazakh payment purpose code (КНП), 3 digits. */
  knp: string;
  /** Beneficiary code (КБе): residency digit + economic sector digit. */
  kbe: string;
  /** Decimal string with exactly two fraction digits, > 0. */
  amount: string;
  paymentCount: number;
  /** Corrections of earlier days netted into this line: their signed sum and K<seq> references. */
  adjustment?: { amount: string; refs: string[] };
}

export interface PaymentListInput {
  /** Business key of the settlement, e.g. 'HSBK:2026-11-27' (bank code : business date). */
  settlementId: string;
  /** At most 35 characters, unique per settlement, e.g. 'SPC-HSBK-20261127'. */
  msgId: string;
  /** ISO instant fixed at aggregation time (never now(): regenerating must give identical bytes). */
  createdAt: string;
  /** YYYY-MM-DD the payments belong to. */
  businessDate: string;
  /** Requested execution date (YYYY-MM-DD): the next business day. */
  executionDate: string;
  /** The SPC. */
  initiatingParty: PaymentListParty;
  /** The bank's settlement account, which the transfers are paid from. */
  debtor: PaymentListDebtor;
  lines: PaymentListLine[];
}

/**
 * Most lines one list may carry. A line is a provider paid by one bank on one day; Almaty has a few
 * thousand providers counting every OSI/KSK, so a larger list means the aggregation went wrong.
 */
export const PAYMENT_LIST_LINES_MAX = 10_000;

/** ISO 20022 Max35Text: MsgId, PmtInfId, InstrId, EndToEndId. */
export const ISO_ID_CHARS_MAX = 35;

/**
 * Identifiers are restricted to the SWIFT "x" character set without the space (letters, digits,
 * / - ? : ( ) . , ' +): Max35Text allows any text, but banks' gateways and their pain.002 reports
 * round-trip only these characters safely.
 */
export const ISO_ID_RE = /^[A-Za-z0-9/\-?:().,'+]{1,35}$/;

/** Wire format of an amount: exactly two fraction digits, at most NUMERIC(18,2). */
export const LIST_AMOUNT_RE = /^(0|[1-9]\d{0,15})\.\d{2}$/;

export const KNP_RE = /^\d{3}$/;
export const KBE_RE = /^[12]\d$/;

// xs:dateTime with a mandatory zone: an instant without one is ambiguous between UTC and Almaty.
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Thrown when a payment list breaks an invariant: the aggregation that built it has a bug. */
export class PaymentListInvariantError extends Error {
  override name = 'PaymentListInvariantError';
  constructor(
    readonly settlementId: string,
    readonly invariant: string,
    detail: string,
  ) {
    super(`payment list ${settlementId}: invariant "${invariant}" broken: ${detail}`);
  }
}

/** Lines in the order both files list them: by line number. Does not modify the input. */
export function sortedLines(input: PaymentListInput): PaymentListLine[] {
  return [...input.lines].sort((a, b) => a.lineNo - b.lineNo);
}

/** The exact total of the list (CtrlSum, the CSV's TOTAL row). */
export function listTotal(input: PaymentListInput): Money {
  return sum(input.lines.map((l) => new Money(l.amount)));
}

/** Checks every invariant both file formats rely on; throws PaymentListInvariantError on the first broken one. */
export function assertValidPaymentList(input: PaymentListInput): void {
  const fail = (invariant: string, detail: string): never => {
    throw new PaymentListInvariantError(input.settlementId, invariant, detail);
  };

  if (!ISO_ID_RE.test(input.settlementId)) fail('settlementId is an ISO id', `${JSON.stringify(input.settlementId)} must be 1-${ISO_ID_CHARS_MAX} characters of A-Z a-z 0-9 / - ? : ( ) . , ' +`);
  if (!ISO_ID_RE.test(input.msgId)) fail('MsgId is an ISO id', `${JSON.stringify(input.msgId)} must be 1-${ISO_ID_CHARS_MAX} characters of A-Z a-z 0-9 / - ? : ( ) . , ' +`);
  if (!INSTANT_RE.test(input.createdAt) || Number.isNaN(Date.parse(input.createdAt))) {
    fail('createdAt is an ISO instant', `${JSON.stringify(input.createdAt)} must look like 2026-11-27T18:05:00Z (zone required)`);
  }
  if (!isRealDate(input.businessDate)) fail('businessDate is a date', `${JSON.stringify(input.businessDate)} must be a real YYYY-MM-DD date`);
  if (!isRealDate(input.executionDate)) fail('executionDate is a date', `${JSON.stringify(input.executionDate)} must be a real YYYY-MM-DD date`);
  if (input.executionDate < input.businessDate) fail('execution not before business date', `execution date ${input.executionDate} is before business date ${input.businessDate}`);

  if (!isValidBin(input.initiatingParty.bin)) fail('initiating party BIN valid', `${JSON.stringify(input.initiatingParty.bin)} is not a valid 12-digit BIN`);
  if (!isValidBin(input.debtor.bin)) fail('debtor BIN valid', `${JSON.stringify(input.debtor.bin)} is not a valid 12-digit BIN`);
  if (!isValidKzIban(input.debtor.iban)) fail('debtor IBAN valid', `${JSON.stringify(input.debtor.iban)} is not a valid KZ IBAN`);
  if (!isValidKzBic(input.debtor.bic)) fail('debtor BIC valid', `${JSON.stringify(input.debtor.bic)} is not a valid Kazakh BIC`);

  if (input.lines.length === 0) fail('lines non-empty', 'a payment list needs at least one line; a bank-day with nothing to transfer gets no list');
  if (input.lines.length > PAYMENT_LIST_LINES_MAX) fail('lines within limit', `${input.lines.length} lines exceed PAYMENT_LIST_LINES_MAX (${PAYMENT_LIST_LINES_MAX})`);

  const lineNos = new Set<number>();
  const endToEndIds = new Set<string>();
  const providerIds = new Set<string>();
  for (const line of input.lines) {
    const at = `line ${line.lineNo}`;
    if (!Number.isSafeInteger(line.lineNo) || line.lineNo < 1) fail('lineNo positive integer', `${at}: lineNo must be an integer >= 1`);
    if (lineNos.has(line.lineNo)) fail('lineNo unique', `${at}: line number used twice`);
    lineNos.add(line.lineNo);

    if (!ISO_ID_RE.test(line.endToEndId)) fail('EndToEndId is an ISO id', `${at}: ${JSON.stringify(line.endToEndId)} must be 1-${ISO_ID_CHARS_MAX} characters of A-Z a-z 0-9 / - ? : ( ) . , ' +`);
    if (endToEndIds.has(line.endToEndId)) fail('EndToEndId unique', `${at}: EndToEndId ${line.endToEndId} is used by another line`);
    endToEndIds.add(line.endToEndId);

    if (line.providerId.length === 0) fail('providerId present', `${at}: providerId is empty`);
    if (providerIds.has(line.providerId)) fail('one line per provider', `${at}: provider ${line.providerId} appears on two lines; aggregate them into one`);
    providerIds.add(line.providerId);
    if (line.providerName.trim().length === 0) fail('provider name present', `${at}: provider ${line.providerId} has an empty name`);
    if (!isValidBin(line.providerBin)) fail('provider BIN valid', `${at}: ${JSON.stringify(line.providerBin)} is not a valid 12-digit BIN`);
    if (!isValidKzIban(line.iban)) fail('provider IBAN valid', `${at}: ${JSON.stringify(line.iban)} is not a valid KZ IBAN`);
    if (line.iban === input.debtor.iban) fail('creditor account is not the debtor account', `${at}: provider IBAN equals the bank's settlement IBAN`);
    if (!isValidKzBic(line.bic)) fail('provider BIC valid', `${at}: ${JSON.stringify(line.bic)} is not a valid Kazakh BIC`);
    if (!KNP_RE.test(line.knp)) fail('KNP is 3 digits', `${at}: KNP ${JSON.stringify(line.knp)} must be 3 digits`);
    if (!KBE_RE.test(line.kbe)) fail('KBe is 2 digits', `${at}: KBe ${JSON.stringify(line.kbe)} must be 2 digits, the first 1 (resident) or 2 (non-resident)`);

    if (!LIST_AMOUNT_RE.test(line.amount)) fail('amount is whole tiyn', `${at}: amount ${JSON.stringify(line.amount)} must be a decimal string with exactly two fraction digits, e.g. "1250.00"`);
    const amount = new Money(line.amount);
    if (!isWholeTiyn(amount)) fail('amount is whole tiyn', `${at}: amount ${line.amount} is finer than 1 tiyn`);
    if (amount.lte(ZERO)) fail('amount positive', `${at}: amount ${line.amount} must be > 0; leave providers with nothing to receive off the list`);
    if (!Number.isSafeInteger(line.paymentCount) || line.paymentCount < 0) fail('paymentCount non-negative integer', `${at}: paymentCount ${String(line.paymentCount)} must be an integer >= 0`);
  }

  const total = listTotal(input);
  if (formatAmount(total).replace('.', '').length > 18) fail('CtrlSum within 18 digits', `total ${formatAmount(total)} exceeds the 18 digits ISO 20022 allows`);
}
