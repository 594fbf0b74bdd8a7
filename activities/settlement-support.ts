// Small helpers shared by the settlement activities: the SPC as the initiating party (its
// configuration comes from infra/config.ts), heartbeats for long statements, and the typed refusal every activity returns for a
// business outcome (anything thrown is an infrastructure fault and is retried).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { addBusinessDays, addDays, almatyToUtc, toAlmaty, type CalendarOverrides } from '../domain/calendar';
import type { SettlementErrorCode, SettlementRefusal } from '../domain/settlement-types';

/** The SPC as the initiating party of payment lists: read and checked in infra/config.ts. */
export type { SettlementConfig } from '../infra/config';

/** How often a long activity tells Temporal it is alive; the workflow's heartbeat timeout is a few times this. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

function heartbeat(detail?: unknown): void {
  try {
    Context.current().heartbeat(detail);
  } catch {
    // Called outside an activity (the benchmark's bare SQL run, a unit test): nothing to tell.
  }
}

/** Runs `work` while heartbeating every HEARTBEAT_INTERVAL_MS, so a single long SQL statement does not look dead. */
export async function withHeartbeat<T>(what: string, work: () => Promise<T>): Promise<T> {
  heartbeat(what);
  const timer = setInterval(() => heartbeat(what), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * The bank confirms its transfers within `confirmBusinessDays` business days of receiving the list
 * (the Kazakh 3-day rule is about the money's journey, which starts at delivery): a list delivered
 * late is not overdue on arrival. The due date counts from the Almaty date of delivery.
 */
export function confirmDueDateFor(deliveredAt: Date, confirmBusinessDays: number, cal: CalendarOverrides): string {
  return addBusinessDays(toAlmaty(deliveredAt).date, confirmBusinessDays, cal);
}

/** The bank has until the end of the due date (Almaty) to confirm. */
export function confirmDeadlineAtOf(confirmDueDate: string): string {
  return almatyToUtc(addDays(confirmDueDate, 1), '00:00').toISOString();
}

export function refusal(code: SettlementErrorCode, message: string): SettlementRefusal {
  return { ok: false, code, message };
}

/** A broken invariant is a bug: fail the settlement loudly rather than retry a wrong result forever. */
export function invariantFailure(settlementId: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'SETTLEMENT_INVARIANT', message: `settlement ${settlementId}: invariant broken: ${message}`, nonRetryable: true });
}

// The settlement id is a business id: built in domain/identifiers.ts only.
export { settlementIdOf } from '../domain/identifiers';

/** 2026-11-27 -> 20261127. */
export function compactDate(date: string): string {
  return date.replace(/-/g, '');
}

/** Timestamps leave Postgres as ISO strings with whole seconds, so files built from them are stable. */
export function isoSeconds(value: Date | string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
