// One HTTP attempt of a webhook push, shared by the settlement list and complaint webhooks: JSON
// body signed with the bank's secrets (domain/webhook-signature.ts), an Idempotency-Key the bank can
// deduplicate on, no redirects, a bounded wait. Returns what happened; the caller records it and
// throws to let its activity's retry policy try again. A push that may not go at all (plain http://
// to another machine, no signing secret) is refused before any attempt: the caller records the
// refusal where operators see it and does not retry, since retrying cannot fix it.
import { webhookSignatureHeader, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../domain/webhook-signature';
import { webhookUrlProblem } from '../domain/webhook-url';

/** One HTTP attempt may take this long; the activities' start-to-close timeout is above it. */
export const WEBHOOK_REQUEST_TIMEOUT_MS = 20_000;
/** Error text kept per attempt (the bank's error page can be large). */
export const LAST_ERROR_CHARS_MAX = 500;
/** Bytes of an error body read at most (UTF-8 takes up to 4 per character); the rest is never read. */
export const ERROR_BODY_BYTES_MAX = LAST_ERROR_CHARS_MAX * 4;

/** The start of a response body, reading no more than `bytesMax` of it, then dropping the connection's rest. */
export async function readBodyStart(res: Response, bytesMax: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < bytesMax) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, bytesMax - bytes));
      bytes += Math.min(value.byteLength, bytesMax - bytes);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

export interface WebhookAttempt {
  status: number | null;
  /** null when the bank took it (2xx). */
  error: string | null;
}

/** Why this push must not be sent (recorded as `refused: …`), or null when it may. */
export function webhookRefusal(url: string, secrets: readonly string[]): string | null {
  const problem = webhookUrlProblem(url);
  if (problem) return `refused: webhook URL ${problem}; fix it with spc bank webhook set`;
  if (secrets.length === 0) return 'refused: the bank has no webhook signing secret; create one with spc bank webhook rotate-secret';
  return null;
}

export async function postWebhook(url: string, idempotencyKey: string, headers: Record<string, string>, payload: unknown, secrets: readonly string[]): Promise<WebhookAttempt> {
  let status: number | null = null;
  let error: string | null = null;
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
        [WEBHOOK_SIGNATURE_HEADER]: webhookSignatureHeader(secrets, timestamp, body),
        ...headers,
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(WEBHOOK_REQUEST_TIMEOUT_MS),
    });
    status = res.status;
    if (!res.ok) error = `HTTP ${res.status} ${(await readBodyStart(res, ERROR_BODY_BYTES_MAX).catch(() => '')).slice(0, LAST_ERROR_CHARS_MAX)}`.trim();
    else await res.body?.cancel();
  } catch (err) {
    error = `${(err as Error).name}: ${(err as Error).message}`.slice(0, LAST_ERROR_CHARS_MAX);
  }
  return { status, error };
}
