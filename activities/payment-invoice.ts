// What a payment is checked against: the latest invoice of each personal account, with its lines,
// providers and meters, loaded for a whole batch in one query. The allocation and the meter-reading
// rules below are the only ones: a cashier's single payment and a register's 50,000 rows both go
// through them (activities/payment-posting.ts).
import type { Knex } from 'knex';
import { Money, fromDb, formatAmount } from '../domain/money';
import { splitProportionally, assertSharesSum, stillDueOf, NothingToSplitError, Share } from '../domain/allocation';
import { PaymentRejection, ValidPaymentRequest } from '../domain/payment-validation';
import type { Allocation } from '../domain/payment-types';
import { loadLatestInvoiceLines, type InvoiceLineRow } from '../db/queries/invoices';
import { readingFloor, readingProblem } from '../domain/meter-reading';

export type { InvoiceLineRow };

export interface AccountInvoice {
  invoiceId: string;
  lines: InvoiceLineRow[];
}

/**
 * The latest invoice of each account, or a rejection for an account that is unknown or has none.
 * Read through the invoice read model (db/queries/invoices.ts), which the bank API's invoice reads
 * too: what a cashier is shown as still due is what a payment without lines is split by.
 */
export async function loadInvoices(trx: Knex.Transaction | Knex, accounts: string[]): Promise<Map<string, AccountInvoice | PaymentRejection>> {
  const byAccount = await loadLatestInvoiceLines(trx, accounts);
  const result = new Map<string, AccountInvoice | PaymentRejection>();
  for (const account of accounts) {
    const lines = byAccount.get(account);
    const first = lines?.[0];
    if (!lines || !first) {
      result.set(account, new PaymentRejection('ACCOUNT_NOT_FOUND', `personal account ${account} is not in the SPC database: check the number on the invoice`));
    } else if (!first.invoice_id || !first.service_code) {
      result.set(account, new PaymentRejection('NO_INVOICE', `personal account ${account} has no invoice to pay`));
    } else {
      result.set(account, { invoiceId: first.invoice_id, lines });
    }
  }
  return result;
}

/**
 * Splits the payment over the invoice's services: as given, or in proportion to what is still due
 * (domain/allocation.ts). `paidInBatch` is what payments earlier in the same posting batch put on
 * this invoice's lines (by service): they are not in Postgres yet, but they were received first.
 */
export function allocate(valid: ValidPaymentRequest, lines: InvoiceLineRow[], paidInBatch?: ReadonlyMap<string, Money>): Allocation[] {
  const providerOf = new Map(lines.map((l) => [l.service_code as string, l.provider_id as string]));
  let shares: Share[];
  if (valid.lines) {
    for (const line of valid.lines) {
      if (!providerOf.has(line.service)) {
        throw new PaymentRejection('UNKNOWN_SERVICE', `service ${line.service} is not on the invoice of account ${valid.account}`, { service: line.service });
      }
    }
    shares = valid.lines.map((l) => ({ service: l.service, amount: l.amount }));
    assertSharesSum(valid.amount, shares);
  } else {
    try {
      shares = splitProportionally(
        valid.amount,
        lines.map((l) => {
          const paid = fromDb(l.paid).plus(paidInBatch?.get(l.service_code as string) ?? 0);
          return { service: l.service_code as string, amountDue: fromDb(l.amount_due), stillDue: stillDueOf(fromDb(l.amount_due), paid), charged: fromDb(l.charged) };
        }),
      );
    } catch (err) {
      if (err instanceof NothingToSplitError) throw new PaymentRejection('NOTHING_DUE', err.message);
      throw err;
    }
  }
  return shares.map((s) => ({ service: s.service, provider: providerOf.get(s.service) as string, amount: formatAmount(s.amount) }));
}

export interface ReadingToWrite {
  meterId: string;
  value: string;
  previous: string;
}

/**
 * Checks each reading (domain/meter-reading.ts: the floor and the plausibility cap) against the meter's floor: the invoice's previous reading, the highest
 * standing reading in Postgres, and (within one batch) the readings posted earlier in the batch,
 * passed in `batchFloors` and updated by the caller once the payment is accepted.
 */
export function checkReadings(valid: ValidPaymentRequest, lines: InvoiceLineRow[], batchFloors?: ReadonlyMap<string, Money>): ReadingToWrite[] {
  const byService = new Map(lines.map((l) => [l.service_code as string, l]));
  return valid.readings.map((r) => {
    const line = byService.get(r.service);
    if (!line) throw new PaymentRejection('UNKNOWN_SERVICE', `service ${r.service} is not on the invoice of account ${valid.account}`, { service: r.service });
    if (!line.meter_id) throw new PaymentRejection('INVALID_READING', `service ${r.service} has no meter on account ${valid.account}`, { service: r.service });
    const previous = readingFloor([line.previous_reading, line.last_reading, batchFloors?.get(line.meter_id)]);
    const problem = readingProblem(r.value, previous, line.unit);
    if (problem?.code === 'READING_BELOW_PREVIOUS') {
      throw new PaymentRejection('READING_BELOW_PREVIOUS', `meter reading ${r.value.toString()} for ${r.service} is below the previous reading ${previous.toString()}`, {
        service: r.service,
        previous: previous.toString(),
      });
    }
    if (problem?.code === 'READING_IMPLAUSIBLE') {
      throw new PaymentRejection('READING_IMPLAUSIBLE', `meter reading ${r.value.toString()} for ${r.service} is more than ${problem.cap.toString()} above the previous reading ${previous.toString()}: check for an extra digit`, {
        service: r.service,
        previous: previous.toString(),
        cap: problem.cap.toString(),
      });
    }
    return { meterId: line.meter_id, value: r.value.toFixed(3), previous: previous.toFixed(3) };
  });
}
