// One attempt of a webhook push written to its delivery row: the settlement list's
// (webhook_deliveries by settlement_id) and the provider register's (provider_register_deliveries
// by register_id) count attempts alike, and the first 2xx sets delivered_at once.
import type { Db } from '../db/connection';
import type { WebhookAttempt } from './webhook-post';

const DELIVERY_TABLES = {
  settlement: { table: 'webhook_deliveries', key: 'settlement_id' },
  provider_register: { table: 'provider_register_deliveries', key: 'register_id' },
} as const;

export type DeliveryKind = keyof typeof DELIVERY_TABLES;

/** Counts the attempt; returns the row's attempts and delivered_at after it. */
export async function recordWebhookAttempt(db: Db, kind: DeliveryKind, id: string, attempt: WebhookAttempt): Promise<{ attempts: number; deliveredAt: Date | null }> {
  const { table, key } = DELIVERY_TABLES[kind];
  const after = await db.raw<{ rows: Array<{ attempts: number; delivered_at: Date | null }> }>(
    `UPDATE ${table} SET attempts = attempts + 1, last_status = ?, last_error = ?,
            delivered_at = CASE WHEN ? THEN COALESCE(delivered_at, now()) ELSE delivered_at END
      WHERE ${key} = ? RETURNING attempts, delivered_at`,
    [attempt.status, attempt.error, attempt.error === null, id],
  );
  const row = after.rows[0];
  return { attempts: row?.attempts ?? 0, deliveredAt: row?.delivered_at ?? null };
}
