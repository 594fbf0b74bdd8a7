// What a signed-in household sees (issue 20 item 3): its current invoice with the numbers of the
// cashier page (api/invoice.ts, the one invoice read model), the history of its invoices, its
// payments with their state, its meters with the reading that will be billed, the payment QR and
// where to pay. Everything is read for the session's account only.
import QRCode from 'qrcode';
import type { Db } from '../db/connection';
import {
  findInvoiceIdOfPeriod, findReadingsWindowDays, listAccountInvoices, listAccountPayments, listBanksForPayers, listInvoiceReadings, type CabinetPaymentRow, type PeriodReadingRow,
} from '../db/queries/cabinet';
import { toAlmaty } from '../domain/calendar';
import { formatAmount, fromDb } from '../domain/money';
import { isInReadingsWindow, readingsWindowOf, type ReadingsWindow, type ReadingsWindowDays } from '../domain/billing-period';
import { listAccountSubscriptions } from '../db/mail-subscriptions';
import { paymentQrText, type PaymentQrFields } from '../domain/payment-qr';
import { settlementConfigFromEnv } from '../infra/config';
import { loadInvoiceView, type InvoiceView } from './invoice';
import { ApiError } from './errors';

/**
 * The payee of the household's QR: the SPC, which collects for every provider. The account and bank
 * are the SPC's collection account; name and BIN come from SPC_NAME and SPC_BIN (infra/config.ts).
 */
export const SPC_COLLECTION_ACCOUNT = { iban: 'KZ86601A871001726091', bic: 'HSBKKZKX', bankName: 'АО «Народный Банк Казахстана»' } as const;

export function qrFieldsOf(account: string, period: string, amount: string): PaymentQrFields {
  const spc = settlementConfigFromEnv();
  return {
    name: spc.spcName, personalAcc: SPC_COLLECTION_ACCOUNT.iban, bankName: SPC_COLLECTION_ACCOUNT.bankName, bic: SPC_COLLECTION_ACCOUNT.bic,
    payeeInn: spc.spcBin, persAcc: account, period, amount, purpose: `Коммунальные услуги, л/с ${account}, ${period}`,
  };
}

export type PaymentState = 'accepted' | 'cancelled' | 'excluded' | 'corrected';

export interface CabinetPayment {
  bankCode: string;
  bankName: string;
  bankRef: string;
  channel: string;
  amount: string;
  paidAt: string;
  businessDate: string;
  period: string;
  state: PaymentState;
  /** move, resplit or refund: what the SPC's correction did to it. */
  correction: string | null;
}

function paymentOf(r: CabinetPaymentRow): CabinetPayment {
  const state: PaymentState = r.status !== 'accepted' ? (r.status as PaymentState) : r.corrected_kind ? 'corrected' : 'accepted';
  return {
    bankCode: r.bank_code, bankName: r.bank_name, bankRef: r.bank_ref, channel: r.channel, amount: formatAmount(fromDb(r.amount)),
    paidAt: r.paid_at.toISOString(), businessDate: r.business_date, period: r.period, state, correction: r.corrected_kind,
  };
}

export interface CabinetMeter {
  service: string;
  name: string;
  unit: string | null;
  serialNo: string;
  /** The floor a new reading is checked against. */
  previousReading: string;
  /** The reading that will be billed for the period: the highest that counts, or null (the provider bills by the norm). */
  billed: { value: string; source: 'cabinet' | 'bank'; bankCode: string | null; channel: string | null; readAt: string } | null;
}

export interface CabinetReadings {
  window: ReadingsWindow;
  open: boolean;
  meters: CabinetMeter[];
}

function billedOf(readings: PeriodReadingRow[], service: string): CabinetMeter['billed'] {
  const mine = readings.filter((r) => r.service_code === service);
  // The highest reading counts: a later, lower one cannot stand (the floor refuses it).
  const best = mine.reduce<PeriodReadingRow | null>((a, b) => (a === null || fromDb(b.value).gte(fromDb(a.value)) ? b : a), null);
  if (!best) return null;
  return { value: fromDb(best.value).toFixed(3), source: best.source, bankCode: best.bank_code, channel: best.channel, readAt: new Date(best.read_at).toISOString() };
}

export async function loadCabinetReadings(db: Db, invoice: InvoiceView, invoiceId: string, days: ReadingsWindowDays, now = new Date()): Promise<CabinetReadings> {
  const window = readingsWindowOf(invoice.period, await findReadingsWindowDays(db, invoice.period), days);
  const readings = await listInvoiceReadings(db, invoiceId);
  const meters = invoice.services.filter((s) => s.meter !== null).map((s) => ({
    service: s.code, name: s.name, unit: s.meter!.unit, serialNo: s.meter!.serialNo, previousReading: s.meter!.previousReading, billed: billedOf(readings, s.code),
  }));
  return { window, open: isInReadingsWindow(window, toAlmaty(now).date), meters };
}

/** The current invoice, or null when the account has none yet. */
export async function currentInvoiceOf(db: Db, account: string): Promise<InvoiceView | null> {
  try {
    return await loadInvoiceView(db, account);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NO_INVOICE') return null;
    throw err;
  }
}

export async function invoiceIdOf(db: Db, account: string, period: string): Promise<string> {
  const id = await findInvoiceIdOfPeriod(db, account, period);
  if (!id) throw new ApiError(404, 'NO_INVOICE', `no invoice of ${period}`);
  return id;
}

export async function loadCabinetOverview(db: Db, account: string, days: ReadingsWindowDays): Promise<Record<string, unknown>> {
  const invoice = await currentInvoiceOf(db, account);
  const [invoices, payments, banks, emails] = await Promise.all([
    listAccountInvoices(db, account), listAccountPayments(db, account), listBanksForPayers(db), listAccountSubscriptions(db, account),
  ]);
  let qr: { text: string; image: string } | null = null;
  let readings: CabinetReadings | null = null;
  if (invoice) {
    const text = paymentQrText(qrFieldsOf(account, invoice.period, invoice.totalStillDue));
    qr = { text, image: await QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 1, width: 220 }) };
    readings = await loadCabinetReadings(db, invoice, await invoiceIdOf(db, account, invoice.period), days);
  }
  return {
    account,
    invoice,
    qr,
    invoices: invoices.map((i) => ({ period: i.period, dueDate: i.due_date, totalDue: formatAmount(fromDb(i.total_due)), pdf: `/cabinet/api/invoices/${i.period}.pdf` })),
    payments: payments.map(paymentOf),
    readings,
    // pending (the confirmation link not yet opened), confirmed, unsubscribed; none is an empty list.
    emailSubscriptions: emails,
    whereToPay: { banks, channels: ['cash_desk', 'online', 'kiosk'] },
  };
}
