// Cases for money a bank confirmed as transferred that the provider does not report received
// (issue 19 item 2): a list line confirmed N working days ago (SPC_TRANSFER_REPORT_WORKING_DAYS,
// default 3) and not matched by the provider's reported transfers raises a complaint between the
// bank and the SPC with disposition TRANSFER_NOT_RECEIVED (the complaint workflow: deadlines,
// escalation, `spc complaint list`, /ops). One case per bank, provider and day: bankRef
// '<PROVIDER>/<YYYY-MM-DD>'. Run by `spc provider transfers check`; repeating it raises nothing twice.
import { addBusinessDays, toAlmaty } from '../domain/calendar';
import { findUnreportedConfirmedLines, loadCalendarOverrides } from '../db/queries/provider-transfers';
import { raiseComplaint, type ComplaintClientContext } from './complaints';
import { transferReportWorkingDaysFromEnv } from '../infra/config';

export { TRANSFER_REPORT_WORKING_DAYS_DEFAULT, TRANSFER_REPORT_WORKING_DAYS_MAX } from '../infra/config';

export interface RaisedCase {
  complaintId: string;
  bankCode: string;
  providerId: string;
  businessDate: string;
  expected: string;
  received: string;
}

export async function raiseUnreportedTransferCases(ctx: ComplaintClientContext, opts: { asOf?: Date; workingDays?: number } = {}): Promise<RaisedCase[]> {
  const asOf = opts.asOf ?? new Date();
  const workingDays = opts.workingDays ?? transferReportWorkingDaysFromEnv();
  const today = toAlmaty(asOf).date;
  const cal = await loadCalendarOverrides(ctx.db);
  // Working days are at least calendar days: lines confirmed since then cannot be due yet.
  const candidates = await findUnreportedConfirmedLines(ctx.db, new Date(asOf.getTime() - workingDays * 24 * 60 * 60_000));
  const raised: RaisedCase[] = [];
  for (const line of candidates) {
    if (addBusinessDays(toAlmaty(line.confirmedAt).date, workingDays, cal) >= today) continue;
    const { complaint } = await raiseComplaint(ctx, {
      bankCode: line.bankCode,
      bankRef: `${line.providerId}/${line.businessDate}`,
      disposition: 'TRANSFER_NOT_RECEIVED',
      text: `List line ${line.endToEndId} of ${line.businessDate} to ${line.providerId}: ${line.expected} KZT confirmed as transferred at ${line.confirmedAt.toISOString()}, `
        + `${line.received} KZT reported received after ${workingDays} working day(s).`,
      raisedBy: 'spc',
    });
    raised.push({ complaintId: complaint.id, bankCode: line.bankCode, providerId: line.providerId, businessDate: line.businessDate, expected: line.expected, received: line.received });
  }
  return raised;
}
