// The stack a benchmark measures: a scratch database with the demo data, the Temporal of
// TEMPORAL_ADDRESS or a dev server with `spc up`'s settings, and the SPC's workers (and, for the
// HTTP benches, its API) each in their own process, as production runs them. The load generator is
// this process.
import type { Client } from '@temporalio/client';
import { connectTemporal } from '../infra/temporal-connection';
import { seedDemo, seedReferenceData } from '../db/seed';
import { benchEnvironment, log, type BenchEngine, type BenchEnv } from './env';
import { startApiProcess, startBenchWorkerProcess, type Endpoints, type SpcProcess } from './processes';
import { freePort } from '../infra/temporal-server';
import { measureCpu, type CpuSplit } from './cpu';

export interface BenchStack {
  env: BenchEnv;
  client: Client;
  endpoints: Endpoints;
  accounts: string[];
  workers: SpcProcess[];
  api?: { process: SpcProcess; baseUrl: string };
  /** Starts a CPU measurement over the stack's processes. */
  cpu(): Promise<() => Promise<CpuSplit>>;
  close(): Promise<void>;
}

export interface BenchStackOptions {
  accounts: number;
  workers: number;
  api?: boolean;
  engine?: BenchEngine;
}

export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const env = await benchEnvironment(opts.engine);
  const processes: SpcProcess[] = [];
  const { connection, client } = await connectTemporal(env.temporal);
  const close = async () => {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    await connection.close();
    await env.close();
  };
  try {
    const endpoints: Endpoints = {
      databaseUrl: env.databaseUrl, temporalAddress: env.temporalAddress, taskQueue: `bench-${Date.now().toString(36)}`, temporalEnv: env.temporalEnv,
    };
    await seedReferenceData(env.db);
    await seedDemo(env.db, { accounts: opts.accounts, seed: 7 });
    const accounts = (await env.db('personal_accounts').orderBy('number').limit(opts.accounts).pluck('number')) as string[];
    if (accounts.length === 0) throw new Error('no demo accounts were seeded');
    log(`starting ${opts.workers} worker process(es)${opts.api ? ' and the API process' : ''}`);
    const workers = await Promise.all(Array.from({ length: opts.workers }, () => startBenchWorkerProcess(endpoints)));
    processes.push(...workers);
    let api: BenchStack['api'];
    if (opts.api) {
      const port = await freePort();
      const apiProcess = await startApiProcess(endpoints, port);
      processes.push(apiProcess);
      api = { process: apiProcess, baseUrl: `http://127.0.0.1:${port}` };
    }
    return {
      env, client, endpoints, accounts, workers, api,
      cpu: () => measureCpu({
        temporal: env.temporalPid,
        workers: () => workers.map((w) => w.pid),
        postgres: async () => (await env.db.raw('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows.map((r: { pid: number }) => r.pid),
        others: (): Record<string, number[]> => (api ? { api: [api.process.pid] } : {}),
      }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
