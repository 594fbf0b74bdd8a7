// One HTTP attempt of a webhook push, shared by the settlement list and complaint webhooks: JSON
// body, an Idempotency-Key the bank can deduplicate on, no redirects, a bounded wait. Returns what
// happened; the caller records it and throws to let its activity's retry policy try again.

/** One HTTP attempt may take this long; the activities' start-to-close timeout is above it. */
export const WEBHOOK_REQUEST_TIMEOUT_MS = 20_000;
/** Error text kept per attempt (the bank's error page can be large). */
export const LAST_ERROR_CHARS_MAX = 500;

export interface WebhookAttempt {
  status: number | null;
  /** null when the bank took it (2xx). */
  error: string | null;
}

export async function postWebhook(url: string, idempotencyKey: string, headers: Record<string, string>, payload: unknown): Promise<WebhookAttempt> {
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...headers },
      body: JSON.stringify(payload),
      redirect: 'error',
      signal: AbortSignal.timeout(WEBHOOK_REQUEST_TIMEOUT_MS),
    });
    status = res.status;
    if (!res.ok) error = `HTTP ${res.status} ${(await res.text().catch(() => '')).slice(0, LAST_ERROR_CHARS_MAX)}`.trim();
    else await res.body?.cancel();
  } catch (err) {
    error = `${(err as Error).name}: ${(err as Error).message}`.slice(0, LAST_ERROR_CHARS_MAX);
  }
  return { status, error };
}
