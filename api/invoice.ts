// The latest invoice of a personal account as a bank sees it: what the SPC would print on the paper
// invoice. The previous meter reading is the larger of the invoice's and the latest reading the SPC
// received since (a payment with readings moves it forward), which is also the floor the posting
// checks a new reading against (activities/payment-posting.ts).
import type { Db } from '../db/connection';
import { ACCOUNT_RE } from '../domain/payment-types';
import { formatAmount, fromDb, sum } from '../domain/money';
import { ApiError } from './errors';

export interface InvoiceServiceView {
  code: string;
  name: string;
  provider: string;
  providerName: string;
  openingBalance: string;
  charged: string;
  amountDue: string;
  meter: { serialNo: string; unit: string | null; previousReading: string } | null;
}

export interface InvoiceView {
  account: string;
  holder: string;
  address: string;
  /** Billing month, YYYY-MM. */
  period: string;
  dueDate: string;
  issuedAt: string;
  currency: 'KZT';
  totalDue: string;
  services: InvoiceServiceView[];
}

interface InvoiceRow {
  number: string;
  holder_name: string;
  address: string;
  invoice_id: string | null;
  period: string | null;
  due_date: string | null;
  issued_at: Date | null;
  service_code: string | null;
  name_ru: string | null;
  unit: string | null;
  provider_id: string | null;
  provider_name: string | null;
  opening_balance: string | null;
  charged: string | null;
  amount_due: string | null;
  serial_no: string | null;
  previous_reading: string | null;
  last_reading: string | null;
}

/** Readings are NUMERIC(14,3): shown with three fraction digits, like the meter's display. */
function readingText(values: Array<string | null>): string {
  const present = values.filter((v): v is string => v !== null).map((v) => fromDb(v));
  const max = present.reduce((a, b) => (b.gt(a) ? b : a), fromDb('0'));
  return max.toFixed(3);
}

/** The account's latest invoice; 404 ACCOUNT_NOT_FOUND or NO_INVOICE otherwise. */
export async function loadInvoiceView(db: Db, account: string): Promise<InvoiceView> {
  // The format check keeps arbitrary text (and anything SQL-looking) away from the query; the query
  // is parameterised anyway.
  if (!ACCOUNT_RE.test(account)) {
    throw new ApiError(404, 'ACCOUNT_NOT_FOUND', `personal account ${JSON.stringify(account)} is not in the SPC database (it is 6-16 digits): check the number on the invoice`);
  }
  const { rows } = await db.raw<{ rows: InvoiceRow[] }>(
    `SELECT a.number, a.holder_name, a.address, i.id AS invoice_id, to_char(i.period, 'YYYY-MM') AS period, i.due_date, i.issued_at,
            l.service_code, s.name_ru, s.unit, s.provider_id, p.name AS provider_name, l.opening_balance, l.charged, l.amount_due,
            m.serial_no, l.previous_reading,
            (SELECT max(r.value) FROM meter_readings r WHERE r.meter_id = l.meter_id) AS last_reading
       FROM personal_accounts a
       LEFT JOIN LATERAL (SELECT * FROM invoices WHERE account_number = a.number ORDER BY period DESC LIMIT 1) i ON true
       LEFT JOIN invoice_lines l ON l.invoice_id = i.id
       LEFT JOIN services s ON s.code = l.service_code
       LEFT JOIN providers p ON p.id = s.provider_id
       LEFT JOIN meters m ON m.id = l.meter_id
      WHERE a.number = ?
      ORDER BY s.sort_order, l.service_code`,
    [account],
  );
  const first = rows[0];
  if (!first) throw new ApiError(404, 'ACCOUNT_NOT_FOUND', `personal account ${account} is not in the SPC database: check the number on the invoice`);
  if (!first.invoice_id || !first.service_code) throw new ApiError(404, 'NO_INVOICE', `personal account ${account} has no invoice to pay`);
  const services: InvoiceServiceView[] = rows.map((r) => ({
    code: r.service_code as string,
    name: r.name_ru as string,
    provider: r.provider_id as string,
    providerName: r.provider_name as string,
    openingBalance: formatAmount(fromDb(r.opening_balance)),
    charged: formatAmount(fromDb(r.charged)),
    amountDue: formatAmount(fromDb(r.amount_due)),
    meter: r.serial_no ? { serialNo: r.serial_no, unit: r.unit, previousReading: readingText([r.previous_reading, r.last_reading]) } : null,
  }));
  return {
    account: first.number,
    holder: first.holder_name,
    address: first.address,
    period: first.period as string,
    dueDate: first.due_date as string,
    issuedAt: (first.issued_at as Date).toISOString(),
    currency: 'KZT',
    totalDue: formatAmount(sum(services.map((s) => fromDb(s.amountDue)))),
    services,
  };
}

export const invoiceResponseSchema = {
  type: 'object',
  required: ['account', 'holder', 'address', 'period', 'dueDate', 'currency', 'totalDue', 'services'],
  properties: {
    account: { type: 'string', example: '1000000001' },
    holder: { type: 'string' },
    address: { type: 'string' },
    period: { type: 'string', description: 'Billing month, YYYY-MM', example: '2026-11' },
    dueDate: { type: 'string', format: 'date' },
    issuedAt: { type: 'string' },
    currency: { type: 'string', enum: ['KZT'] },
    totalDue: { $ref: 'Amount#' },
    services: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'name', 'provider', 'openingBalance', 'charged', 'amountDue', 'meter'],
        properties: {
          code: { type: 'string', example: 'ELEC' },
          name: { type: 'string', example: 'Электроэнергия' },
          provider: { type: 'string', example: 'ALMATYENERGOSBYT' },
          providerName: { type: 'string' },
          openingBalance: { $ref: 'Amount#' },
          charged: { $ref: 'Amount#' },
          amountDue: { $ref: 'Amount#' },
          meter: {
            type: 'object',
            nullable: true,
            properties: {
              serialNo: { type: 'string' },
              unit: { type: 'string', nullable: true },
              previousReading: { type: 'string', description: 'max(invoice previous reading, latest reading received)', example: '12345.600' },
            },
          },
        },
      },
    },
  },
} as const;
