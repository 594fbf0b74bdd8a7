// The latest invoice of a personal account as a bank sees it: what the SPC would print on the paper
// invoice, and what of it is still due net of the payments already received in the invoice's period
// (db/queries/invoices.ts: the same query posting splits a payment by, so the cashier is shown the
// amounts a payment without lines would be split by). The previous meter reading is the larger of
// the invoice's and the highest reading of a payment that still stands, which is also the floor the
// posting checks a new reading against (activities/payment-invoice.ts).
import type { Db } from '../db/connection';
import { loadLatestInvoiceLines, type InvoiceLineRow } from '../db/queries/invoices';
import { ACCOUNT_RE } from '../domain/payment-types';
import { stillDueOf } from '../domain/allocation';
import { formatAmount, fromDb, sum } from '../domain/money';
import { payerView } from '../domain/payer-view';
import { ApiError } from './errors';
import { readingFloor } from '../domain/meter-reading';

export interface InvoiceServiceView {
  code: string;
  name: string;
  provider: string;
  providerName: string;
  openingBalance: string;
  charged: string;
  /** What the invoice asks for on this line, as printed: payments received since do not change it. */
  amountDue: string;
  /** What the period's standing payments put on this line. */
  paid: string;
  /** max(0, amountDue − paid): what a payer still owes on this line. */
  stillDue: string;
  meter: { serialNo: string; unit: string | null; previousReading: string } | null;
}

export interface InvoiceView {
  account: string;
  /** Surname and initials only («Абенов А. К.»): see domain/payer-view.ts. */
  holder: string;
  /** Street and house, without the flat. */
  address: string;
  /** Billing month, YYYY-MM. */
  period: string;
  dueDate: string;
  issuedAt: string;
  currency: 'KZT';
  /** Sum of amountDue: the invoice's total as printed. */
  totalDue: string;
  /** Sum of paid. */
  totalPaid: string;
  /** Sum of stillDue: what to ask the payer for. */
  totalStillDue: string;
  services: InvoiceServiceView[];
}

/** Readings are NUMERIC(14,3): shown with three fraction digits, like the meter's display. */
function serviceView(r: InvoiceLineRow): InvoiceServiceView {
  const amountDue = fromDb(r.amount_due);
  const paid = fromDb(r.paid);
  return {
    code: r.service_code as string,
    name: r.service_name as string,
    provider: r.provider_id as string,
    providerName: r.provider_name as string,
    openingBalance: formatAmount(fromDb(r.opening_balance)),
    charged: formatAmount(fromDb(r.charged)),
    amountDue: formatAmount(amountDue),
    paid: formatAmount(paid),
    stillDue: formatAmount(stillDueOf(amountDue, paid)),
    meter: r.serial_no ? { serialNo: r.serial_no, unit: r.unit, previousReading: readingFloor([r.previous_reading, r.last_reading]).toFixed(3) } : null,
  };
}

/** The account's latest invoice; 404 ACCOUNT_NOT_FOUND or NO_INVOICE otherwise. */
export async function loadInvoiceView(db: Db, account: string): Promise<InvoiceView> {
  // The format check keeps arbitrary text (and anything SQL-looking) away from the query; the query
  // is parameterised anyway.
  if (!ACCOUNT_RE.test(account)) {
    throw new ApiError(404, 'ACCOUNT_NOT_FOUND', `personal account ${JSON.stringify(account)} is not in the SPC database (it is 6-16 digits): check the number on the invoice`);
  }
  const rows = (await loadLatestInvoiceLines(db, [account])).get(account) ?? [];
  const first = rows[0];
  if (!first) throw new ApiError(404, 'ACCOUNT_NOT_FOUND', `personal account ${account} is not in the SPC database: check the number on the invoice`);
  if (!first.invoice_id || !first.service_code) throw new ApiError(404, 'NO_INVOICE', `personal account ${account} has no invoice to pay`);
  const services = rows.map(serviceView);
  const total = (pick: (s: InvoiceServiceView) => string) => formatAmount(sum(services.map((s) => fromDb(pick(s)))));
  return {
    account: first.account_number,
    // Surname and initials, street and house: never the full name or the flat (domain/payer-view.ts).
    ...payerView(first.holder_name, first.address),
    period: first.period as string,
    dueDate: first.due_date as string,
    issuedAt: (first.issued_at as Date).toISOString(),
    currency: 'KZT',
    totalDue: total((s) => s.amountDue),
    totalPaid: total((s) => s.paid),
    totalStillDue: total((s) => s.stillDue),
    services,
  };
}

export const invoiceResponseSchema = {
  type: 'object',
  required: ['account', 'holder', 'address', 'period', 'dueDate', 'currency', 'totalDue', 'totalPaid', 'totalStillDue', 'services'],
  properties: {
    account: { type: 'string', example: '1000000001' },
    holder: { type: 'string' },
    address: { type: 'string' },
    period: { type: 'string', description: 'Billing month, YYYY-MM', example: '2026-11' },
    dueDate: { type: 'string', format: 'date' },
    issuedAt: { type: 'string' },
    currency: { type: 'string', enum: ['KZT'] },
    totalDue: { type: 'string', description: 'The invoice\'s total as printed (sum of amountDue); payments received since do not lower it' },
    totalPaid: { type: 'string', description: 'What the payments received in this period that still stand put on this invoice (sum of paid)' },
    totalStillDue: { type: 'string', description: 'Sum of stillDue: what is still to pay, net of payments already received in this period' },
    services: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'name', 'provider', 'openingBalance', 'charged', 'amountDue', 'paid', 'stillDue', 'meter'],
        properties: {
          code: { type: 'string', example: 'ELEC' },
          name: { type: 'string', example: 'Электроэнергия' },
          provider: { type: 'string', example: 'ALMATYENERGOSBYT' },
          providerName: { type: 'string' },
          openingBalance: { $ref: 'Amount#' },
          charged: { $ref: 'Amount#' },
          amountDue: { type: 'string', description: 'What the invoice asks for on this line, as printed (opening balance + charged, at least 0)' },
          paid: {
            type: 'string',
            description: 'Received on this line in this period by payments that still stand: a cancelled or excluded payment counts for nothing (its money was reversed), a corrected one as its correction left it',
            example: '0.00',
          },
          stillDue: { type: 'string', description: 'max(0, amountDue − paid): what is still due, net of payments already received in this period; a payment without lines is split by it' },
          meter: {
            type: 'object',
            nullable: true,
            properties: {
              serialNo: { type: 'string' },
              unit: { type: 'string', nullable: true },
              previousReading: { type: 'string', description: 'max(invoice previous reading, highest reading of a payment that still stands)', example: '12345.600' },
            },
          },
        },
      },
    },
  },
} as const;
