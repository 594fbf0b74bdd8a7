// What a day register's row means: the payment it stands for. Built once, when the register is
// stored (its rows keep the request), so the register workflow posts what the bank sent.
import type { PaymentRequest } from './payment-types';
import { defaultPaidAt, type RegisterHeader, type RegisterRow } from './register-csv';

/** The payment a register row stands for: channel 'register', linked to its register. */
export function rowPaymentRequest(bankCode: string, registerId: string, header: RegisterHeader, row: RegisterRow): PaymentRequest {
  const request: PaymentRequest = {
    bankCode,
    bankRef: row.bankRef,
    channel: 'register',
    account: row.account,
    amount: row.amount,
    paidAt: row.paidAt ?? defaultPaidAt(header.businessDate),
    registerId,
  };
  if (row.lines) request.lines = row.lines;
  if (row.readings) request.readings = row.readings;
  if (row.pileNo) request.pileNo = row.pileNo;
  return request;
}
