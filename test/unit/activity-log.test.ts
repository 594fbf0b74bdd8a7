// What an activity's log lines carry besides the SDK's workflow and activity context
// (worker/activity-log.ts): the business keys of its input, never the input itself.
import { businessKeysOf } from '../../worker/activity-log';

describe('businessKeysOf', () => {
  it('takes the bank reference and bank from a payment posting\'s request, and nothing personal', () => {
    const input = { request: { bankCode: 'HSBK', bankRef: '20261201-17', channel: 'online', account: '1000000001', amount: '1000.00' }, requestHash: 'ab', receivedAt: '2026-12-01T10:00:00Z' };
    expect(businessKeysOf(input)).toEqual({ bankCode: 'HSBK', bankRef: '20261201-17' });
  });

  it('takes a settlement stage\'s and a register chunk\'s keys, and ignores what is not an object', () => {
    expect(businessKeysOf({ bankCode: 'CASP', businessDate: '2026-11-27', settlementId: 's-1' })).toEqual({ bankCode: 'CASP', businessDate: '2026-11-27', settlementId: 's-1' });
    expect(businessKeysOf({ registerId: 'r-9', afterLine: 0, limit: 5000 })).toEqual({ registerId: 'r-9' });
    expect([businessKeysOf(undefined), businessKeysOf('x'), businessKeysOf(null)]).toEqual([{}, {}, {}]);
  });
});
