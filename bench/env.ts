// The environment of a benchmark: a scratch database (dropped at the end) on the Postgres it finds
// (DATABASE_URL, else the local server at 127.0.0.1:5432, else a temporary embedded one), and the
// Temporal at TEMPORAL_ADDRESS or a dev server started with the same durable settings as `spc up`
// (SQLite file in WAL mode), so the figures are those of the system a newcomer runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createDb, dropDatabase, ensureDatabase, migrateLatest, withDatabase, type Db } from '../db/connection';
import { loadConfig } from '../infra/config';
import { checkPostgres, startTemporaryPostgres } from '../infra/postgres';
import { findTemporalCli } from '../infra/temporal-binary';
import { startDevServer } from '../infra/temporal-server';
import { startThrowawayCluster } from '../infra/temporal-cluster';
import type { TemporalTarget } from '../infra/temporal-connection';

/** Which Temporal a bench measures: the dev server `spc up` runs, or the real server (Postgres, 4 shards, mTLS). */
export type BenchEngine = 'dev' | 'server';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const TEMP_PG_PORT = 54339;

export interface BenchEnv {
  db: Db;
  databaseUrl: string;
  temporalAddress: string;
  /** The Temporal server's process, when the bench started one (for the CPU split). */
  temporalPid?: number;
  /** How to connect to it (address, namespace, mTLS files), in process... */
  temporal: TemporalTarget;
  /** ...and as environment variables for the SPC processes the bench starts. */
  temporalEnv: Record<string, string>;
  close(): Promise<void>;
}

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export async function benchEnvironment(engine: BenchEngine = 'dev'): Promise<BenchEnv> {
  const cfg = loadConfig();
  const closers: Array<() => Promise<void>> = [];
  let adminUrl = cfg.databaseUrl;
  if (!adminUrl) {
    try {
      await checkPostgres(LOCAL_POSTGRES, 2000);
      adminUrl = LOCAL_POSTGRES;
    } catch {
      const pg = await startTemporaryPostgres(TEMP_PG_PORT, log);
      closers.push(() => pg.stop());
      adminUrl = pg.adminUrl;
    }
  }
  const name = `spc_bench_${crypto.randomBytes(4).toString('hex')}`;
  await ensureDatabase(adminUrl, name);
  const databaseUrl = withDatabase(adminUrl, name);
  const db = createDb(databaseUrl, 40);
  closers.push(async () => {
    await db.destroy();
    await dropDatabase(adminUrl as string, name);
  });
  await migrateLatest(db);

  let temporal: TemporalTarget | undefined = cfg.temporal.address ? { ...cfg.temporal, address: cfg.temporal.address } : undefined;
  let temporalEnv: Record<string, string> = {};
  let temporalPid: number | undefined;
  if (!temporal && engine === 'server') {
    const cluster = await startThrowawayCluster({ postgresUrl: adminUrl, log });
    closers.push(() => cluster.stop());
    temporal = { ...cfg.temporal, ...cluster.temporal };
    temporalEnv = cluster.env;
    temporalPid = cluster.pid;
  } else if (!temporal) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-bench-temporal-'));
    const server = await startDevServer({ binary: await findTemporalCli(cfg, log), dbFile: path.join(dir, 'temporal.db'), uiPort: null, namespace: 'default', log });
    closers.push(async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    temporal = { ...cfg.temporal, address: server.address };
    temporalEnv = { TEMPORAL_ADDRESS: server.address };
    temporalPid = server.pid;
  }
  const temporalAddress = temporal.address;
  log(`database ${name}, Temporal ${temporalAddress}`);
  return {
    db,
    databaseUrl,
    temporalAddress,
    temporalPid,
    temporal,
    temporalEnv,
    close: async () => {
      for (const close of closers.reverse()) await close().catch((err: Error) => log(`cleanup: ${err.message}`));
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index] as number;
}

/** Runs `total` jobs with `concurrency` in flight, collecting each job's latency; prints progress. */
export async function drive(label: string, total: number, concurrency: number, job: (i: number) => Promise<void>): Promise<{ perSecond: number; p50Ms: number; p99Ms: number; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  const progress = setInterval(() => log(`${label}: ${done}/${total}`), 5000);
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, total) }, async () => {
        while (next < total) {
          const i = next++;
          const t0 = performance.now();
          await job(i);
          latencies.push(performance.now() - t0);
          done++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: total / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), seconds };
}

export const round = (v: number, digits = 1) => Number(v.toFixed(digits));
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it gives a value; a bench that waits for ever is a bench that hides a failure. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs: number, pollMs = 250): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadlineMs) throw new Error(`bench gave up waiting for ${what}`);
    await sleep(pollMs);
  }
}
