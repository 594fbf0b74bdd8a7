// Open-loop arrivals: one request every `intervalMs`, whether or not the earlier ones have been
// answered, as cashiers arrive at a counter. A closed loop (the next request after the last answer)
// hides queueing: when the system slows down, a closed loop slows down with it.
import { percentile } from './env';

export interface Sample {
  /** When the request was sent (performance.now() ms). */
  sentMs: number;
  latencyMs: number;
  /** HTTP status, or 0 for a request that failed without an answer. */
  status: number;
  code?: string;
}

export interface OpenLoop {
  /** Stops sending and waits for the answers of everything sent. */
  stop(): Promise<Sample[]>;
}

/** Bounds every request, so a stuck system shows as slow answers, not as a hung bench. */
export const OPEN_LOOP_REQUEST_TIMEOUT_MS = 60_000;

export function startOpenLoop(intervalMs: number, send: (i: number) => Promise<{ status: number; code?: string }>): OpenLoop {
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  let i = 0;
  const fire = () => {
    const n = i++;
    const sentMs = performance.now();
    const p = send(n)
      .then((r) => ({ status: r.status, code: r.code }), (err: Error) => ({ status: 0, code: err.name }))
      .then((r) => {
        samples.push({ sentMs, latencyMs: performance.now() - sentMs, ...r });
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const timer = setInterval(fire, intervalMs);
  fire();
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      return samples.sort((a, b) => a.sentMs - b.sentMs);
    },
  };
}

export function latencySummary(samples: Sample[]): { count: number; p50Ms: number; p99Ms: number; errors: number; byStatus: Record<string, number> } {
  const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const byStatus: Record<string, number> = {};
  for (const s of samples) {
    const key = s.code ? `${s.status} ${s.code}` : String(s.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  return {
    count: samples.length,
    p50Ms: Number(percentile(sorted, 50).toFixed(1)),
    p99Ms: Number(percentile(sorted, 99).toFixed(1)),
    errors: samples.filter((s) => s.status < 200 || s.status >= 300).length,
    byStatus,
  };
}

/** POST /v1/payments of one generated payment, bounded in time; answers the status and the error code. */
export async function postPayment(baseUrl: string, apiKey: string, body: Record<string, unknown>): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${baseUrl}/v1/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(OPEN_LOOP_REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, code: res.status === 201 ? undefined : (/"code":"([A-Z_]+)"/.exec(text) ?? [])[1] };
}
