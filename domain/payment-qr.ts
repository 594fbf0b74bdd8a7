// The payment QR of GOST R 56042-2014 ("ST00012"): a header, then `|`-separated Key=Value pairs,
// UTF-8 (the "2" in ST00012 means UTF-8). A bank app or cashier scanner reads the payee, the
// account and the amount from it. Values may not contain the separator, so it is refused here.
export interface PaymentQrFields {
  /** Payee's legal name. */
  name: string;
  /** Payee's account (IBAN here; the standard's PersonalAcc). */
  personalAcc: string;
  bankName: string;
  /** The payee bank's BIC. */
  bic: string;
  /** Payee's tax id (the BIN here; the standard's PayeeINN). */
  payeeInn: string;
  /** The personal account number of the household (the standard's PersAcc). */
  persAcc: string;
  /** Billing month, YYYY-MM (the standard's PaymPeriod, written MMYYYY). */
  period: string;
  /** Amount due, two-decimal KZT string; the standard's Sum is in minor units. */
  amount: string;
  purpose: string;
}

const SEPARATOR = '|';
const AMOUNT_RE = /^(0|[1-9][0-9]*)\.[0-9]{2}$/;
const PERIOD_RE = /^([0-9]{4})-(0[1-9]|1[0-2])$/;

export function paymentQrText(f: PaymentQrFields): string {
  if (!AMOUNT_RE.test(f.amount)) throw new RangeError(`QR amount ${f.amount} is not a two-decimal string`);
  const period = PERIOD_RE.exec(f.period);
  if (!period) throw new RangeError(`QR period ${f.period} is not YYYY-MM`);
  const pairs: [string, string][] = [
    ['Name', f.name], ['PersonalAcc', f.personalAcc], ['BankName', f.bankName], ['BIC', f.bic],
    ['CorrespAcc', '0'], ['PayeeINN', f.payeeInn], ['Sum', String(BigInt(f.amount.replace('.', '')))],
    ['Purpose', f.purpose], ['PersAcc', f.persAcc], ['PaymPeriod', `${period[2]}${period[1]}`],
  ];
  for (const [key, value] of pairs) {
    if (value.includes(SEPARATOR)) throw new RangeError(`QR field ${key} may not contain ${SEPARATOR}`);
  }
  return ['ST00012', ...pairs.map(([k, v]) => `${k}=${v}`)].join(SEPARATOR);
}
