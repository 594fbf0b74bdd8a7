// A second limit on invoice look-ups, by how many distinct accounts a key reads rather than how many
// requests it makes (issue 16 item 11): a cashier looks up the payers at the window, a scraper walks
// the account numbers. Past accountsPerKeyMax distinct accounts in a window the key is answered
// 429 ACCOUNT_SPREAD_LIMITED for new accounts until the window ends; accounts it already read in the
// window stay readable (a cashier refreshing the payer in front of them is not refused). Counters live
// in this process's memory, like the request rate limit (api/rate-limit.ts).
import { ApiError } from './errors';
import { RATE_LIMIT_COUNTERS_MAX } from './rate-limit';

export interface AccountSpreadSettings {
  /** Distinct accounts one key may look up per window. */
  accountsPerKeyMax: number;
  windowMs: number;
}

/**
 * 2,000 distinct accounts an hour per key: a busy cash desk serves a few hundred payers a day, and a
 * bank's system that looks up before each payment stays well under it at the traffic the engine is
 * sized for per key; the 153 invoices in 3.3 s of the scrape would stop at 2,000 an hour
 * instead of a whole city's register in minutes.
 */
export const ACCOUNT_SPREAD_DEFAULT: AccountSpreadSettings = { accountsPerKeyMax: 2_000, windowMs: 3_600_000 };

interface SpreadWindow {
  startedAtMs: number;
  accounts: Set<string>;
}

export class AccountSpreadLimiter {
  // Insertion order is the order windows started: the first entry is the oldest, dropped past the bound.
  private readonly windows = new Map<string, SpreadWindow>();

  constructor(
    private readonly settings: AccountSpreadSettings = ACCOUNT_SPREAD_DEFAULT,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Counts `account` for `keyId`; throws 429 ACCOUNT_SPREAD_LIMITED past the key's spread. */
  check(keyId: string, account: string): void {
    const now = this.nowMs();
    let window = this.windows.get(keyId);
    if (!window || now - window.startedAtMs >= this.settings.windowMs) {
      this.windows.delete(keyId);
      window = { startedAtMs: now, accounts: new Set() };
      this.windows.set(keyId, window);
      if (this.windows.size > RATE_LIMIT_COUNTERS_MAX) this.windows.delete(this.windows.keys().next().value as string);
    }
    if (window.accounts.has(account)) return;
    if (window.accounts.size >= this.settings.accountsPerKeyMax) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAtMs + this.settings.windowMs - now) / 1000));
      throw new ApiError(
        429,
        'ACCOUNT_SPREAD_LIMITED',
        `this API key has looked up ${this.settings.accountsPerKeyMax} different accounts within ${Math.round(this.settings.windowMs / 60_000)} min: new accounts can be looked up again after ${retryAfterSeconds} s`,
        { accountsMax: this.settings.accountsPerKeyMax, windowSeconds: Math.round(this.settings.windowMs / 1000), retryAfterSeconds },
      );
    }
    window.accounts.add(account);
  }
}
