// The SPC's own Prometheus metrics, in the text exposition format (version 0.0.4), without a metrics
// library: a handful of counters and histograms is all the processes need. Each process serves them
// at /metrics (the API on its port, worker and keeper on their probe port); a process that runs a
// worker (`spc worker`, `spc up`) appends the Temporal SDK's own metrics, which the SDK Runtime
// exports on a loopback port of its own.

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
  constructor(name: string, help: string, private readonly read: () => number | undefined) {
    super(name, help, 'gauge');
  }
  /** No sample while read() has no value: a process that does not measure it must not report a 0. */
  lines(): string[] {
    const value = this.read();
    return value === undefined ? [] : [`${this.name} ${value}`];
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
  gauge(name: string, help: string, read: () => number | undefined): void {
    this.add(new Gauge(name, help, read));
  }
  private add<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} is registered twice`);
    this.metrics.push(m);
    return m;
  }
  /** Names of every registered metric (the dashboard's test checks its queries against them). */
  names(): string[] {
    return this.metrics.map((m) => m.name);
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

/** Seconds, for settlement stages: from a one-statement close to a bank confirming its transfers days later. */
export const STAGE_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1_800, 3_600, 21_600, 86_400, 259_200, 604_800] as const;

/**
 * What the worker's activities count (passed to them in ActivityDeps.metrics; a test may give them
 * a registry of its own). Labels are codes, channels, stages and bank codes: a few hundred series.
 */
export function registerActivityMetrics(registry: MetricsRegistry) {
  return {
    paymentPostings: registry.counter(
      'spc_payment_postings_total',
      'Single payments posted by the worker, by outcome (accepted, rejected, repeat: an accepted payment answered again), rejection code and channel.',
    ),
    registerRows: registry.counter('spc_register_rows_total', 'Register rows posted by the worker, by outcome (accepted, rejected) and rejection code.'),
    registerBatchDuration: registry.histogram('spc_register_batch_duration_seconds', 'Time to check and post one batch of register rows (one Postgres transaction).'),
    settlementStageDuration: registry.histogram(
      'spc_settlement_stage_duration_seconds',
      'Duration of each settlement stage, by stage: close, reconcile, aggregate, files, delivery (one webhook attempt that succeeded), confirmation (list delivered to settled).',
      STAGE_BUCKETS_SECONDS,
    ),
    webhookFailures: registry.counter('spc_webhook_failures_total', 'Webhook deliveries that failed (and will be retried), by kind (settlement, complaint: by bank; provider_register: by provider).'),
  };
}
export type ActivityMetrics = ReturnType<typeof registerActivityMetrics>;
export const activityMetrics = registerActivityMetrics(metrics);

/** Content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Fetching the SDK's own metrics must not hold a scrape long. */
const SDK_METRICS_FETCH_TIMEOUT_MS = 2_000;

/** Where this process's SDK Runtime exports its metrics, once worker/run.ts installed it with an exporter. */
let processSdkMetricsUrl: string | undefined;
/**
 * Called by worker/run.ts when it installs the Runtime with an exporter: from then on every /metrics
 * of the process (the API's too, in `spc up`) carries the SDK's series after the SPC's.
 */
export function setSdkMetricsUrl(url: string): void {
  processSdkMetricsUrl = url;
}

/** The SPC's metrics, followed by the Temporal SDK's when its exporter runs at sdkMetricsUrl (default: the process's). */
export async function renderAllMetrics(sdkMetricsUrl: string | undefined = processSdkMetricsUrl): Promise<string> {
  const own = metrics.render();
  if (!sdkMetricsUrl) return own;
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(SDK_METRICS_FETCH_TIMEOUT_MS) });
    return `${own}${await res.text()}`;
  } catch (err) {
    return `${own}# Temporal SDK metrics unavailable: ${(err as Error).message.replace(/\n/g, ' ')}\n`;
  }
}

/**
 * Temporal SDK metrics the SPC's dashboard (docs/grafana/spc-dashboard.json) queries, as the SDK
 * Runtime exports them from a worker (histograms in seconds, with no unit suffix in the name). The SDK registers them, not this
 * code; the dashboard's test checks its queries against this list and an integration test checks
 * that a worker's /metrics carries each of them.
 */
export const TEMPORAL_SDK_DASHBOARD_METRICS = [
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_execution_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_activity_execution_latency',
  'temporal_local_activity_execution_latency',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
] as const;
