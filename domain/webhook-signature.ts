// Webhook pushes are signed, and go only where nobody on the way can read or change them.
//
// Signature (docs/bank-api.md, "Webhooks"): HMAC-SHA256 with the bank's shared secret over
// `<timestamp>.<body>`, where timestamp is the X-SPC-Timestamp header (Unix seconds) and body the
// exact bytes of the request body; sent as `X-SPC-Signature: v1=<hex>`. While a rotated secret is
// still in its grace period the header carries one v1 entry per secret (`v1=<new>,v1=<old>`), so a
// receiver that checks any entry against the secret it holds keeps working through a rotation. A
// receiver refuses timestamps more than WEBHOOK_TOLERANCE_SECONDS away from its clock (replays).
//
// Where a webhook may point is domain/webhook-url.ts.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_TIMESTAMP_HEADER = 'x-spc-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-spc-signature';
export const WEBHOOK_SIGNATURE_SCHEME = 'v1';
/** How far a receiver accepts the timestamp from its own clock. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

/** The X-SPC-Signature value: one v1 entry per signing secret (current first). */
export function webhookSignatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  if (secrets.length === 0) throw new Error('invariant: a webhook is signed with at least one secret');
  return secrets.map((secret) => `${WEBHOOK_SIGNATURE_SCHEME}=${webhookSignature(secret, timestampSeconds, body)}`).join(',');
}

/** What a receiver does: true when a v1 entry matches `secret` and the timestamp is fresh. */
export function verifyWebhookSignature(opts: { secret: string; timestamp: string | undefined; signature: string | undefined; body: string; nowMs?: number }): boolean {
  const timestamp = Number(opts.timestamp);
  if (!opts.timestamp || !/^\d{1,12}$/.test(opts.timestamp) || !opts.signature) return false;
  if (Math.abs((opts.nowMs ?? Date.now()) / 1000 - timestamp) > WEBHOOK_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(webhookSignature(opts.secret, timestamp, opts.body), 'hex');
  return opts.signature.split(',').some((entry) => {
    const [scheme, hex] = entry.trim().split('=');
    if (scheme !== WEBHOOK_SIGNATURE_SCHEME || !hex || !/^[0-9a-f]{64}$/.test(hex)) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
}
