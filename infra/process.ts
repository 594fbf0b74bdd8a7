// What every long-running SPC process (`spc api`, `spc worker`, `spc keeper`) shares: liveness and
// readiness probes over HTTP, and a bounded graceful stop on SIGTERM/SIGINT.
//
// /livez answers 200 while the process is not wedged (an orchestrator restarts it otherwise);
// /readyz answers 200 only when it can do its work now (Postgres and Temporal reachable, worker
// polling), so a load balancer or a rollout waits for it. Both are plain JSON, no dependencies.
import http from 'node:http';

/** A dependency that takes longer than this to answer counts as down. */
export const PROBE_CHECK_TIMEOUT_MS = 2_000;
/** Headers and body of a probe request must arrive quickly; probes are tiny. */
const PROBE_REQUEST_TIMEOUT_MS = 5_000;

export type CheckResult = 'ok' | `down: ${string}`;
export type Checks = Record<string, () => Promise<unknown>>;

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once, each bounded by PROBE_CHECK_TIMEOUT_MS; ok is true when all passed. */
export async function runChecks(checks: Checks): Promise<{ ok: boolean; results: Record<string, CheckResult> }> {
  const names = Object.keys(checks);
  const outcomes = await Promise.all(
    names.map(async (name): Promise<CheckResult> => {
      try {
        await withTimeout(Promise.resolve().then(checks[name]), PROBE_CHECK_TIMEOUT_MS, name);
        return 'ok';
      } catch (err) {
        return `down: ${(err as Error).message}`;
      }
    }),
  );
  const results = Object.fromEntries(names.map((name, i) => [name, outcomes[i] as CheckResult]));
  return { ok: outcomes.every((o) => o === 'ok'), results };
}

export interface ProbeOptions {
  /** Which process answers (worker, keeper), shown in every answer. */
  role: string;
  host: string;
  /** 0 picks a free port (the returned url says which). */
  port: number;
  /** Liveness: false once the process's main loop has failed for good. */
  live: () => boolean;
  /** Readiness checks, run on each /readyz. */
  ready: Checks;
  /** Extra routes (GET path -> handler), e.g. /metrics. */
  routes?: Record<string, (res: http.ServerResponse) => Promise<void>>;
}

export interface ProbeServer {
  url: string;
  /** Readiness answers 503 from now on (called first thing on SIGTERM, so traffic drains away). */
  markStopping(): void;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Serves GET /livez and GET /readyz (and opts.routes) on host:port. */
export async function startProbeServer(opts: ProbeOptions): Promise<ProbeServer> {
  let stopping = false;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'probes answer GET only' });
    if (path === '/livez') {
      const live = opts.live();
      return send(res, live ? 200 : 503, { role: opts.role, status: live ? 'ok' : 'down', pid: process.pid });
    }
    if (path === '/readyz') {
      if (stopping) return send(res, 503, { role: opts.role, status: 'stopping' });
      void runChecks(opts.ready).then(
        ({ ok, results }) => send(res, ok ? 200 : 503, { role: opts.role, status: ok ? 'ok' : 'not ready', ...results }),
        (err: Error) => send(res, 503, { role: opts.role, status: 'not ready', error: err.message }),
      );
      return;
    }
    const route = path ? opts.routes?.[path] : undefined;
    if (route) {
      void route(res).catch((err: Error) => send(res, 500, { code: 'INTERNAL', message: err.message }));
      return;
    }
    send(res, 404, { code: 'NOT_FOUND', message: `no ${path} here; try /livez or /readyz` });
  });
  server.requestTimeout = PROBE_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`health port ${opts.port} on ${opts.host} is in use: set SPC_HEALTH_PORT (or --health-port) to a free one, 0 for any`) : err),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    markStopping: () => {
      stopping = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Ctrl-C presses (or signals) after which a process stops waiting for a clean shutdown. */
export const FORCE_QUIT_SIGNALS = 3;

/**
 * Resolves on the first SIGINT/SIGTERM and keeps handling later ones: `npm start` forwards the
 * terminal's Ctrl-C to this process as well, so one key press arrives twice, and the default
 * handler would kill the process before what it started is stopped.
 */
export function waitForSignal(log: (m: string) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      received++;
      if (received === 1) resolve(signal);
      else if (received >= FORCE_QUIT_SIGNALS) process.exit(130);
      else log('already stopping; send the signal again to quit without a clean stop');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Runs stop() and waits at most graceMs for it: in-flight requests and tasks finish within the
 * bound, and a stop that hangs (a task that never ends, a dependency that is gone) cannot keep the
 * process alive past it. Resolves true on a clean stop, false when the bound was hit.
 */
export async function stopWithin(graceMs: number, stop: () => Promise<void>, log: (m: string) => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
    timer.unref();
  });
  try {
    const clean = await Promise.race([stop().then(() => true as const), timedOut]);
    if (!clean) log(`did not stop within ${graceMs} ms (SPC_SHUTDOWN_GRACE_MS); exiting anyway`);
    return clean;
  } finally {
    clearTimeout(timer);
  }
}
