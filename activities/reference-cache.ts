// Banks, services and the calendar are small and change rarely; reading them on every payment would
// add round trips to the hot path. They are cached per worker for a short time, so an operator's
// edit (a new holiday, a changed cut-off) takes effect within REFERENCE_TTL_MS.
import type { Db } from '../db/connection';
import type { CalendarOverrides } from '../domain/calendar';
import { loadCalendarOverrides } from '../db/queries/calendar';

export const REFERENCE_TTL_MS = 10_000;

export interface BankRow {
  code: string;
  name: string;
  bic: string;
  bin: string;
  settlement_iban: string;
  cutoff_local: string;
  webhook_url: string | null;
  confirm_business_days: number;
}

interface Snapshot {
  loadedAtMs: number;
  banks: Map<string, BankRow>;
  calendar: CalendarOverrides;
}

export class ReferenceCache {
  private snapshot?: Promise<Snapshot>;

  constructor(private readonly db: Db, private readonly ttlMs = REFERENCE_TTL_MS) {}

  private async load(): Promise<Snapshot> {
    const [banks, calendar] = await Promise.all([
      this.db<BankRow>('banks').select('code', 'name', 'bic', 'bin', 'settlement_iban', 'cutoff_local', 'webhook_url', 'confirm_business_days'),
      loadCalendarOverrides(this.db),
    ]);
    return {
      loadedAtMs: Date.now(),
      banks: new Map(banks.map((b) => [b.code, b])),
      calendar,
    };
  }

  private async current(): Promise<Snapshot> {
    const existing = this.snapshot ? await this.snapshot.catch(() => undefined) : undefined;
    if (existing && Date.now() - existing.loadedAtMs < this.ttlMs) return existing;
    this.snapshot = this.load();
    return this.snapshot;
  }

  async bank(code: string): Promise<BankRow | undefined> {
    return (await this.current()).banks.get(code);
  }

  async calendar(): Promise<CalendarOverrides> {
    return (await this.current()).calendar;
  }

  invalidate(): void {
    this.snapshot = undefined;
  }
}
