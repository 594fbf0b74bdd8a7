// The refusal tables (domain/): each code with the HTTP status the bank API answers it with, read by
// the client's errors, the API and the CLI alike.
import { ActionError, ComplaintActionError, CorrectionActionError, SettlementActionError } from '../../client/errors';
import { COMPLAINT_ERROR_CODES, isComplaintErrorCode } from '../../domain/complaint-types';
import { CORRECTION_ERROR_CODES } from '../../domain/correction-types';
import { SETTLEMENT_ERROR_CODES, isSettlementErrorCode } from '../../domain/settlement-errors';
import { settlementError } from '../../api/errors';

const statusOf = (table: Record<string, { status: number }>) => Object.fromEntries(Object.entries(table).map(([code, e]) => [code, e.status]));

describe('refusal tables', () => {
  it('keep the statuses the bank API has always answered settlement and complaint refusals with', () => {
    expect(statusOf(SETTLEMENT_ERROR_CODES)).toMatchObject({
      SETTLEMENT_NOT_FOUND: 404, INVALID_REQUEST: 422, UNKNOWN_LINE: 422, NOT_AWAITING_CONFIRMATION: 409, LINE_ALREADY_CONFIRMED: 409, ALREADY_SETTLED: 409,
    });
    expect(statusOf(COMPLAINT_ERROR_CODES)).toEqual({
      INVALID_REQUEST: 422, PAYMENT_NOT_FOUND: 404, COMPLAINT_NOT_FOUND: 404, INVALID_TRANSITION: 409, CORRECTION_NOT_FOUND: 409,
      // Added with the PAYMENT_NOT_POSTED quota (issue 16): a new code, no existing status changed.
      COMPLAINT_LIMIT: 429,
    });
  });

  it('give every code a client-error status and a meaning', () => {
    for (const table of [SETTLEMENT_ERROR_CODES, COMPLAINT_ERROR_CODES, CORRECTION_ERROR_CODES]) {
      for (const entry of Object.values(table)) {
        expect(entry.status).toBeGreaterThanOrEqual(400);
        expect(entry.status).toBeLessThan(500);
        expect(entry.message.length).toBeGreaterThan(10);
      }
    }
  });

  it('know their own codes and no others', () => {
    expect(isSettlementErrorCode('UNKNOWN_LINE')).toBe(true);
    expect(isSettlementErrorCode('SETTLEMENT_INVARIANT')).toBe(false);
    expect(isSettlementErrorCode('toString')).toBe(false);
    expect(isComplaintErrorCode('INVALID_TRANSITION')).toBe(true);
    expect(isComplaintErrorCode('UNKNOWN_LINE')).toBe(false);
  });
});

describe('errors of refused actions', () => {
  it('are one type with the code, its status and the message, named for their aggregate', () => {
    const err = new SettlementActionError('LINE_ALREADY_CONFIRMED', 'line 2 was already confirmed with transfer T-1');
    expect(err).toBeInstanceOf(ActionError);
    expect(err).toBeInstanceOf(SettlementActionError);
    expect(err).not.toBeInstanceOf(CorrectionActionError);
    expect(err).toMatchObject({ name: 'SettlementActionError', code: 'LINE_ALREADY_CONFIRMED', status: 409, message: 'line 2 was already confirmed with transfer T-1' });
    expect(new ComplaintActionError('PAYMENT_NOT_FOUND', 'no payment X')).toMatchObject({ name: 'ComplaintActionError', status: 404 });
    expect(new CorrectionActionError('SELF_APPROVAL', '')).toMatchObject({ status: 403, message: CORRECTION_ERROR_CODES.SELF_APPROVAL.message });
  });

  it('answer on the bank API with the status of their code', () => {
    expect(settlementError('UNKNOWN_LINE', 'no line 7').statusCode).toBe(422);
    expect(settlementError('ALREADY_SETTLED', 'settled').body()).toEqual({ code: 'ALREADY_SETTLED', message: 'settled' });
  });
});
