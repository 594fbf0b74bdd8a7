// The provider register as CSV (docs/provider-api.md): RFC 4180, UTF-8 without BOM, CRLF, one
// header, one row per payment or adjustment line in bank order, one BANK_TOTAL row per bank (equal
// to that bank's list line) and a final TOTAL row. Formula starts are guarded like the payment
// list's CSV. Pure and deterministic.
import { Money, formatAmount } from './money';
import { guardCsvCell } from './settlement-csv';
import { type ProviderRegisterInput, assertValidRegister, registerTotal } from './provider-register';

export const PROVIDER_REGISTER_CSV_COLUMNS = [
  'register_id', 'business_date', 'bank_code', 'end_to_end_id', 'kind', 'account', 'service', 'amount',
  'bank_ref', 'channel', 'paid_at', 'reading', 'correction_ref',
] as const;

/** Our own signed amounts are numbers, not formulas: a '-50.00' is written as it is. */
const AMOUNT_CELL_RE = /^-?[0-9]+\.[0-9]{2}$/;

function field(raw: string): string {
  const value = AMOUNT_CELL_RE.test(raw) ? raw : guardCsvCell(raw);
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function record(fields: readonly string[]): string {
  return `${fields.map(field).join(',')}\r\n`;
}

export function buildProviderRegisterCsv(input: ProviderRegisterInput): string {
  assertValidRegister(input);
  const out = [record(PROVIDER_REGISTER_CSV_COLUMNS)];
  const head = [input.registerId, input.businessDate];
  for (const b of input.banks) {
    // The four leading cells are the same on every row of a bank: escaped once, not once per line.
    const prefix = `${[...head, b.bankCode, b.endToEndId].map(field).join(',')},`;
    for (const l of b.lines) {
      const amount = formatAmount(new Money(l.amount));
      if (l.kind === 'payment') out.push(prefix + record(['payment', l.account, l.service, amount, l.bankRef, l.channel, l.paidAt, l.reading ?? '', '']));
      else out.push(prefix + record(['adjustment', '', '', amount, l.bankRef, '', '', '', l.correctionRef]));
    }
    out.push(record([...head, b.bankCode, b.endToEndId, 'BANK_TOTAL', '', '', formatAmount(new Money(b.listAmount)), '', '', '', '', '']));
  }
  out.push(record([...head, '', '', 'TOTAL', '', '', formatAmount(registerTotal(input)), '', '', '', '', '']));
  return out.join('');
}
