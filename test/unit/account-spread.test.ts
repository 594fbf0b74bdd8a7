// The look-up limit by account spread (issue 16 item 11): distinct accounts per key per window.
import { AccountSpreadLimiter } from '../../api/account-spread';
import { ApiError } from '../../api/errors';

function refusal(run: () => void): ApiError | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    return e as ApiError;
  }
}

describe('AccountSpreadLimiter', () => {
  let nowMs = 1_000_000;
  const limiter = new AccountSpreadLimiter({ accountsPerKeyMax: 3, windowMs: 60_000 }, () => nowMs);

  it('lets a key read up to the spread, refuses a new account past it, and keeps the read ones readable', () => {
    for (const account of ['100001', '100002', '100003', '100001']) expect(refusal(() => limiter.check('k1', account))).toBeUndefined();
    nowMs += 15_000;
    const over = refusal(() => limiter.check('k1', '100004'));
    expect([over?.statusCode, over?.code]).toEqual([429, 'ACCOUNT_SPREAD_LIMITED']);
    expect(over?.details).toEqual({ accountsMax: 3, windowSeconds: 60, retryAfterSeconds: 45 });
    expect(refusal(() => limiter.check('k1', '100002'))).toBeUndefined();
    expect(refusal(() => limiter.check('k2', '100004'))).toBeUndefined();
  });

  it('starts over once the window has passed', () => {
    nowMs += 45_000;
    expect(refusal(() => limiter.check('k1', '100004'))).toBeUndefined();
    expect(refusal(() => limiter.check('k1', '100005'))).toBeUndefined();
  });
});
