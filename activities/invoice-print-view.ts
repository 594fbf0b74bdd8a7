// An invoice as the paper and the e-mail show it, from the invoice read model (db/queries/invoices.ts):
// the same numbers as the cashier page (api/invoice.ts): opening, charged, received (what the
// period's standing payments put on a line), still due, and the previous reading that a new one is
// checked against. The totals are summed here in decimal and checked against their lines.
import type { InvoiceLineRow } from '../db/queries/invoices';
import { stillDueOf } from '../domain/allocation';
import { readingFloor } from '../domain/meter-reading';
import { formatAmount, fromDb, sum } from '../domain/money';
import type { HouseholdConfig, SettlementConfig } from '../infra/config';
import type { PrintInvoice, PrintInvoiceLine } from '../infra/invoice-pdf';

export type Requisites = Pick<SettlementConfig, 'spcName' | 'spcBin'> & Pick<HouseholdConfig, 'spcIban' | 'spcBic' | 'spcBankName'>;

/** Readings are NUMERIC(14,3): the larger of the invoice's and the highest standing payment's. */
function previousReading(r: InvoiceLineRow): string | null {
  if (!r.serial_no) return null;
  return readingFloor([r.previous_reading, r.last_reading]).toFixed(3);
}

function lineOf(r: InvoiceLineRow): PrintInvoiceLine & { amountDue: string } {
  const amountDue = fromDb(r.amount_due);
  const paid = fromDb(r.paid);
  return {
    serviceRu: r.service_name as string,
    serviceKk: r.service_name_kk as string,
    providerName: r.provider_name as string,
    providerBin: r.provider_bin as string,
    providerIban: r.provider_iban as string,
    unit: r.unit,
    openingBalance: formatAmount(fromDb(r.opening_balance)),
    charged: formatAmount(fromDb(r.charged)),
    amountDue: formatAmount(amountDue),
    received: formatAmount(paid),
    stillDue: formatAmount(stillDueOf(amountDue, paid)),
    previousReading: previousReading(r),
  };
}

/** One invoice's printable view; `rows` are its lines from the read model, all of one invoice. */
export function printInvoiceOf(rows: readonly InvoiceLineRow[], requisites: Requisites): PrintInvoice & { invoiceId: string } {
  const first = rows[0];
  if (!first?.invoice_id || !first.period || !first.due_date) throw new Error('invariant: printInvoiceOf needs the lines of one issued invoice');
  if (rows.some((r) => r.invoice_id !== first.invoice_id)) throw new Error(`invariant: lines of more than one invoice for ${first.account_number}`);
  const lines = rows.map(lineOf);
  const total = (pick: (l: (typeof lines)[number]) => string) => sum(lines.map((l) => fromDb(pick(l))));
  const totalDue = total((l) => l.amountDue);
  const totalPaid = total((l) => l.received);
  const totalStillDue = total((l) => l.stillDue);
  // Still due is never above due, nor below due minus paid: a line cannot owe less than nothing.
  if (totalStillDue.gt(totalDue) || totalStillDue.lt(totalDue.minus(totalPaid))) throw new Error(`invariant: totals of invoice ${first.invoice_id} do not add up`);
  return {
    invoiceId: String(first.invoice_id),
    accountNumber: first.account_number,
    holderName: first.holder_name,
    address: first.address,
    period: first.period,
    dueDate: first.due_date,
    totalDue: formatAmount(totalDue),
    totalPaid: formatAmount(totalPaid),
    totalStillDue: formatAmount(totalStillDue),
    lines,
    qr: {
      name: requisites.spcName, personalAcc: requisites.spcIban, bankName: requisites.spcBankName, bic: requisites.spcBic,
      payeeInn: requisites.spcBin, persAcc: first.account_number, period: first.period, amount: formatAmount(totalStillDue),
      purpose: `Коммунальные услуги ${first.period}, л/с ${first.account_number}`,
    },
  };
}
