// Kazakh banking identifiers: IBAN (ISO 13616, 20 characters for KZ), BIN/IIN (12 digits, mod-11)
// and BIC (ISO 9362; 8 characters for Kazakh banks).

import { isRealDate } from './instant';

const KZ_IBAN_RE = /^KZ\d{2}\d{3}[0-9A-Z]{13}$/;

/** ISO 7064 mod 97-10 over the rearranged IBAN; a valid IBAN leaves remainder 1. */
function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of code) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder;
}

export function isValidKzIban(iban: string): boolean {
  return KZ_IBAN_RE.test(iban) && ibanMod97(iban) === 1;
}

/** Builds a KZ IBAN from the 3-digit bank code and the 13-character account part. */
export function makeKzIban(bankCode3: string, account13: string): string {
  if (!/^\d{3}$/.test(bankCode3) || !/^[0-9A-Z]{13}$/.test(account13)) throw new Error(`cannot build an IBAN from ${bankCode3}/${account13}`);
  const check = 98 - ibanMod97(`KZ00${bankCode3}${account13}`);
  return `KZ${String(check).padStart(2, '0')}${bankCode3}${account13}`;
}

const BIN_WEIGHTS_1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const BIN_WEIGHTS_2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/** The 12th digit of a BIN/IIN, or null when the first 11 digits admit none (result 10 twice). */
export function binCheckDigit(first11: string): number | null {
  const digits = [...first11].map(Number);
  const weighted = (weights: number[]) => digits.reduce((acc, d, i) => acc + d * (weights[i] ?? 0), 0) % 11;
  let check = weighted(BIN_WEIGHTS_1);
  if (check === 10) check = weighted(BIN_WEIGHTS_2);
  return check === 10 ? null : check;
}

export function isValidBin(bin: string): boolean {
  if (!/^\d{12}$/.test(bin)) return false;
  const check = binCheckDigit(bin.slice(0, 11));
  return check !== null && check === Number(bin[11]);
}

export function isValidKzBic(bic: string): boolean {
  return /^[A-Z]{4}KZ[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic);
}

/** The 3-digit bank code inside a KZ IBAN (characters 5-7), which names the bank holding the account. */
export function kzIbanBankCode(iban: string): string | null {
  return KZ_IBAN_RE.test(iban) ? iban.slice(4, 7) : null;
}

// SPC business identifiers. Each is built and read here only, so the API, the CLI, the workflows
// and the audit cannot disagree on what "HSBK:2026-11-27" means.

/** An SPC bank code: the 4 capital letters of the bank's BIC (HSBK for HSBKKZKX). */
export const BANK_CODE_PATTERN = '[A-Z]{4}';
export const BANK_CODE_RE = new RegExp(`^${BANK_CODE_PATTERN}$`);

export function isBankCode(value: unknown): value is string {
  return typeof value === 'string' && BANK_CODE_RE.test(value);
}

/** Settlement id `<BANK>:<YYYY-MM-DD>`: the settlements row's key and the tail of its workflow id. */
export function settlementIdOf(bankCode: string, businessDate: string): string {
  return `${bankCode}:${businessDate}`;
}

/** Settlement ids as clients send them: `<BANK>:<date>` or, for clients that mangle colons, `<BANK>-<date>`. */
const SETTLEMENT_ID_TEXT_RE = new RegExp(`^(${BANK_CODE_PATTERN})[:-](\\d{4}-\\d{2}-\\d{2})$`);

/** The bank and date of a settlement id, or null when the text is not one (or names no real date). */
export function parseSettlementId(text: unknown): { bankCode: string; businessDate: string; id: string } | null {
  if (typeof text !== 'string') return null;
  const m = SETTLEMENT_ID_TEXT_RE.exec(text);
  if (!m || !isRealDate(m[2])) return null;
  const bankCode = m[1] as string;
  const businessDate = m[2] as string;
  return { bankCode, businessDate, id: settlementIdOf(bankCode, businessDate) };
}
