// What a household does in its cabinet (issue 20 item 3): download an invoice as PDF, submit meter
// readings, raise a complaint. The account is always the session's.
import type { Db } from '../db/connection';
import { accountHasPayment, loadAccountInvoiceForPrint } from '../db/queries/cabinet';
import { insertCabinetReadings } from '../db/cabinet';
import { loadLatestInvoiceLines } from '../db/queries/invoices';
import { checkReadings } from '../activities/payment-invoice';
import { raiseComplaint, type ComplaintClientContext } from '../client/complaints';
import { stillDueOf } from '../domain/allocation';
import { toAlmaty } from '../domain/calendar';
import { formatAmount, fromDb, Money, sum } from '../domain/money';
import { isInReadingsWindow, readingsWindowOf, type ReadingsWindowDays } from '../domain/billing-period';
import { PaymentRejection } from '../domain/payment-validation';
import { findReadingsWindowDays } from '../db/queries/cabinet';
import { renderInvoicesPdf, type PrintInvoice } from '../infra/invoice-pdf';
import { qrFieldsOf } from './cabinet-view';
import { ApiError, rejectionError } from './errors';

/** The invoice of `period` as a one-page PDF (infra/invoice-pdf.ts); 404 NO_INVOICE when there is none. */
export async function cabinetInvoicePdf(db: Db, account: string, period: string): Promise<Buffer> {
  const found = await loadAccountInvoiceForPrint(db, account, period);
  if (!found || found.lines.length === 0) throw new ApiError(404, 'NO_INVOICE', `no invoice of ${period} for this account`);
  const lines = found.lines.map((l) => ({
    serviceRu: l.name_ru, serviceKk: l.name_kk, providerName: l.provider_name, providerBin: l.provider_bin, providerIban: l.provider_iban, unit: l.unit,
    openingBalance: formatAmount(fromDb(l.opening_balance)), charged: formatAmount(fromDb(l.charged)), received: formatAmount(fromDb(l.paid)),
    stillDue: formatAmount(stillDueOf(fromDb(l.amount_due), fromDb(l.paid))),
    previousReading: l.previous_reading === null ? null : fromDb(l.previous_reading).toFixed(3),
  }));
  const total = (values: string[]) => formatAmount(sum(values.map((v) => fromDb(v))));
  const totalStillDue = formatAmount(sum(lines.map((l) => new Money(l.stillDue))));
  const invoice: PrintInvoice = {
    accountNumber: account, holderName: found.invoice.holder_name, address: found.invoice.address, period, dueDate: found.invoice.due_date,
    totalDue: total(found.lines.map((l) => l.amount_due)), totalPaid: total(found.lines.map((l) => l.paid)), totalStillDue,
    lines, qr: qrFieldsOf(account, period, totalStillDue),
  };
  return renderInvoicesPdf([invoice], period);
}

export interface SubmittedReading {
  service: string;
  value: string;
  previous: string;
}

/**
 * Checks the readings by the rules a bank's are checked by (activities/payment-invoice.ts's
 * checkReadings: the same floor, cap and codes) and writes them against the current invoice, all
 * or none. 422 READINGS_WINDOW_CLOSED outside the period's window (its own dates, else the configured days).
 */
export async function submitCabinetReadings(db: Db, account: string, readings: Array<{ service: string; value: string }>, days: ReadingsWindowDays, now = new Date()): Promise<SubmittedReading[]> {
  return db.transaction(async (trx) => {
    const lines = (await loadLatestInvoiceLines(trx, [account])).get(account) ?? [];
    const first = lines[0];
    if (!first?.invoice_id || !first.period) throw new ApiError(404, 'NO_INVOICE', 'this account has no invoice to submit readings for');
    const window = readingsWindowOf(first.period, await findReadingsWindowDays(trx, first.period), days);
    if (!isInReadingsWindow(window, toAlmaty(now).date)) {
      throw new ApiError(422, 'READINGS_WINDOW_CLOSED', `readings for ${first.period} are taken from ${window.from} to ${window.to}`, { from: window.from, to: window.to });
    }
    let checked;
    try {
      checked = checkReadings({ account, readings: readings.map((r) => ({ service: r.service, value: new Money(r.value) })) } as Parameters<typeof checkReadings>[0], lines);
    } catch (err) {
      if (err instanceof PaymentRejection) {
        const e = rejectionError(err.code, err.message);
        throw new ApiError(e.statusCode, e.code, e.message, err.details);
      }
      throw err;
    }
    if (checked.length > 0) {
      await insertCabinetReadings(trx, first.invoice_id, checked);
    }
    return checked.map((c, i) => ({ service: readings[i]!.service, value: c.value, previous: c.previous }));
  });
}

/**
 * "I paid, it is not shown": a PAYMENT_NOT_POSTED complaint (docs/complaints.md) about the bank
 * reference on the household's receipt, raised through the complaint workflow. A reference of
 * another account's payment is refused as not found: a household complains about its own payments.
 */
export async function raiseCabinetComplaint(ctx: ComplaintClientContext, account: string, req: { bankCode: string; bankRef: string; text: string }) {
  const owner = await accountHasPayment(ctx.db, account, req.bankCode, req.bankRef);
  if (owner === 'other') throw new ApiError(404, 'PAYMENT_NOT_FOUND', 'this account has no payment with this bank reference: check the receipt');
  const { complaint, created } = await raiseComplaint(ctx, {
    bankCode: req.bankCode, bankRef: req.bankRef, disposition: 'PAYMENT_NOT_POSTED', text: req.text, raisedBy: `cabinet:${account}`,
  });
  return { created, complaint: { id: complaint.id, status: complaint.status, bankCode: complaint.bankCode, bankRef: complaint.bankRef, deadlineAt: complaint.deadlineAt } };
}
