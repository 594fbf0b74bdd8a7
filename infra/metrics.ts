// The SPC's own Prometheus metrics, in the text exposition format (version 0.0.4), without a metrics
// library: a handful of counters and histograms is all the processes need. Each process serves them
// at /metrics (the API on its port, worker and keeper on their probe port); a worker appends the
// Temporal SDK's own metrics, which the SDK Runtime exports on a loopback port of its own.

/** Seconds; from a fast cache hit to a payment that waited for a worker. */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** Label sets per metric at most: labels are codes and routes, never ids; this catches a mistake. */
export const SERIES_PER_METRIC_MAX = 1_000;

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'histogram' | 'gauge') {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`metric name ${name} is not a Prometheus name`);
  }
  private warned = false;
  /**
   * False (and one warning) once a metric has SERIES_PER_METRIC_MAX label sets: a metric must never
   * fail the request or task it counts, so a new label set past the bound is dropped, not thrown.
   */
  protected hasRoom(size: number, key: string, has: boolean): boolean {
    if (has || size < SERIES_PER_METRIC_MAX) return true;
    if (!this.warned) {
      this.warned = true;
      console.warn(`metric ${this.name} has ${SERIES_PER_METRIC_MAX} label sets already; dropping new ones (does a label carry an id? ${key})`);
    }
    return false;
  }
  abstract lines(): string[];
}

export class Counter extends Metric {
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    if (!this.hasRoom(this.values.size, key, this.values.has(key))) return;
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  value(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  lines(): string[] {
    return [...this.values].map(([key, v]) => `${this.name}${key ? `{${key}}` : ''} ${v}`);
  }
}

export class Histogram extends Metric {
  private readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, readonly bounds: readonly number[] = DURATION_BUCKETS_SECONDS) {
    super(name, help, 'histogram');
  }
  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    if (!this.hasRoom(this.series.size, key, this.series.has(key))) return;
    const s = this.series.get(key) ?? { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
    this.bounds.forEach((bound, i) => {
      if (value <= bound) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(key, s);
  }
  lines(): string[] {
    const out: string[] = [];
    for (const [key, s] of this.series) {
      const sep = key ? `${key},` : '';
      this.bounds.forEach((bound, i) => out.push(`${this.name}_bucket{${sep}le="${bound}"} ${s.buckets[i] ?? 0}`));
      out.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${key ? `{${key}}` : ''} ${s.sum}`);
      out.push(`${this.name}_count${key ? `{${key}}` : ''} ${s.count}`);
    }
    return out;
  }
}

class Gauge extends Metric {
  constructor(name: string, help: string, private readonly read: () => number) {
    super(name, help, 'gauge');
  }
  lines(): string[] {
    return [`${this.name} ${this.read()}`];
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  histogram(name: string, help: string, bounds?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, bounds));
  }
  gauge(name: string, help: string, read: () => number): void {
    this.add(new Gauge(name, help, read));
  }
  private add<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} is registered twice`);
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.map((m) => [`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.lines()].join('\n')).join('\n') + '\n';
  }
}

/** The process's registry and the SPC's metrics in it. */
export const metrics = new MetricsRegistry();
const startedAtMs = Date.now();
metrics.gauge('spc_process_uptime_seconds', 'Seconds since this process started.', () => (Date.now() - startedAtMs) / 1000);
metrics.gauge('spc_process_resident_memory_bytes', 'Resident set size of this process.', () => process.memoryUsage().rss);

export const httpRequests = metrics.counter('spc_http_requests_total', 'HTTP requests answered by the API, by method, route and status code.');
export const httpDuration = metrics.histogram('spc_http_request_duration_seconds', 'Time from request to answer, by method and route.');
export const paymentAnswers = metrics.counter(
  'spc_payments_total',
  'Payments answered through the bank API, by outcome (accepted, rejected), rejection code and channel.',
);
export const scheduleSyncs = metrics.counter('spc_schedule_syncs_total', 'Runs of the settlement schedule sync, by outcome (ok, failed).');

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Fetching the SDK's own metrics must not hold a scrape long. */
const SDK_METRICS_FETCH_TIMEOUT_MS = 2_000;

/** The SPC's metrics, followed by the Temporal SDK's when its exporter runs at sdkMetricsUrl. */
export async function renderAllMetrics(sdkMetricsUrl?: string): Promise<string> {
  const own = metrics.render();
  if (!sdkMetricsUrl) return own;
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(SDK_METRICS_FETCH_TIMEOUT_MS) });
    return `${own}${await res.text()}`;
  } catch (err) {
    return `${own}# Temporal SDK metrics unavailable: ${(err as Error).message.replace(/\n/g, ' ')}\n`;
  }
}
