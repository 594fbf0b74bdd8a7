// The infrastructure under `spc up`: Postgres and Temporal, each either given by the environment
// (DATABASE_URL, TEMPORAL_ADDRESS) or started here with durable state under the data directory.
import net from 'node:net';
import path from 'node:path';
import { connectTemporal } from './temporal-connection';
import type { SpcConfig, TemporalConfig } from './config';
import { startTemporalCluster } from './temporal-cluster';
import { startPostgres, type RunningPostgres } from './postgres';
import { findTemporalCli, TemporalCliNotFoundError } from './temporal-binary';
import {
  ensureNamespace,
  ensureSearchAttributes,
  probeTemporal,
  setNamespaceRetention,
  startDevServer,
  startDevServerViaSdk,
  type RunningDevServer,
} from './temporal-server';

/** Temporal's conventional local ports, so the `temporal` CLI and the UI work without flags. */
export const DEV_SERVER_PORT = 7233;
export const DEV_SERVER_UI_PORT = 8233;
const UI_PROBE_TIMEOUT_MS = 500;

export interface Stack {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  uiUrl?: string;
  /** mTLS files of the Temporal server started here (engine server); clients of this stack use them. */
  temporalTls?: Exclude<TemporalConfig['tls'], true | undefined>;
  startedPostgres: boolean;
  startedTemporal: boolean;
  stop(): Promise<void>;
}

function tcpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(UI_PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The real Temporal server `spc up --engine server` keeps: databases temporal_spc and temporal_spc_visibility. */
export const STACK_CLUSTER_NAME = 'spc';

type LocalTemporal = RunningDevServer & { tls?: Stack['temporalTls'] };

async function startLocalTemporal(cfg: SpcConfig, postgresUrl: string, log: (msg: string) => void, uiCodecEndpoint?: string): Promise<LocalTemporal> {
  if (cfg.engine === 'server') {
    const cluster = await startTemporalCluster({
      name: STACK_CLUSTER_NAME,
      dataDir: cfg.dataDir,
      cacheDir: cfg.cacheDir,
      projectRoot: cfg.projectRoot,
      postgresUrl,
      namespace: cfg.temporal.namespace,
      retentionDays: cfg.temporalRetentionDays,
      // The conventional port when free, so `temporal` CLI commands work without --address.
      port: (await tcpAnswers('127.0.0.1', DEV_SERVER_PORT)) ? 0 : DEV_SERVER_PORT,
      log,
    });
    return { address: cluster.address, pid: cluster.pid, logFile: cluster.logFile, tls: cluster.temporal.tls as Stack['temporalTls'], stop: cluster.stop };
  }
  const options = {
    dbFile: path.join(cfg.dataDir, 'temporal.db'),
    port: DEV_SERVER_PORT,
    uiPort: DEV_SERVER_UI_PORT,
    namespace: cfg.temporal.namespace,
    log,
    uiCodecEndpoint,
  };
  let binary: string;
  try {
    binary = await findTemporalCli(cfg, log);
  } catch (err) {
    if (!(err instanceof TemporalCliNotFoundError)) throw err;
    log(`${err.message}`);
    return startDevServerViaSdk({ ...options, downloadDir: path.join(cfg.cacheDir, 'temporal-sdk') });
  }
  return startDevServer({ ...options, binary, logFile: path.join(cfg.dataDir, 'temporal.log') });
}

/** Registers what the SPC needs on the namespace: the namespace itself, search attributes, retention. */
async function prepareNamespace(cfg: SpcConfig, address: string, tls: Stack['temporalTls'], external: boolean, log: (msg: string) => void): Promise<void> {
  const { connection } = await connectTemporal({ ...cfg.temporal, address, tls: tls ?? cfg.temporal.tls });
  try {
    const retentionDays = cfg.temporalRetentionDays;
    await ensureNamespace(connection, cfg.temporal.namespace, retentionDays, log);
    await ensureSearchAttributes(connection, cfg.temporal.namespace, log);
    try {
      await setNamespaceRetention(connection, cfg.temporal.namespace, retentionDays, log);
    } catch (err) {
      // A managed cluster may not let this identity change the namespace; the SPC works regardless.
      if (!external) throw err;
      log(`could not set retention on namespace ${cfg.temporal.namespace} (${(err as Error).message}); leaving it as the cluster has it`);
    }
  } finally {
    await connection.close();
  }
}

/** uiCodecEndpoint: the API's codec endpoint for the UI of a dev server started here (api/routes/codec.ts). */
export async function startStack(cfg: SpcConfig, log: (msg: string) => void, opts: { uiCodecEndpoint?: string } = {}): Promise<Stack> {
  const postgres: RunningPostgres = await startPostgres(cfg, log);
  let temporal: LocalTemporal | undefined;
  try {
    let address: string;
    let uiUrl = cfg.temporal.uiUrl;
    let external = false;
    if (cfg.temporal.address) {
      address = cfg.temporal.address;
      external = true;
      log(`using the Temporal cluster at ${address} (TEMPORAL_ADDRESS), namespace ${cfg.temporal.namespace}`);
    } else if (cfg.engine === 'dev' && (await probeTemporal(`127.0.0.1:${DEV_SERVER_PORT}`))) {
      address = `127.0.0.1:${DEV_SERVER_PORT}`;
      log(`a Temporal server already answers at ${address}; reusing it (it was not started by spc, so spc will not stop it)`);
      if (!uiUrl && (await tcpAnswers('127.0.0.1', DEV_SERVER_UI_PORT))) uiUrl = `http://127.0.0.1:${DEV_SERVER_UI_PORT}`;
    } else {
      temporal = await startLocalTemporal(cfg, postgres.url, log, opts.uiCodecEndpoint);
      address = temporal.address;
      uiUrl ??= temporal.uiUrl;
    }
    await prepareNamespace(cfg, address, temporal?.tls, external, log);

    log(`Postgres: ${postgres.embedded ? `embedded, data in ${path.join(cfg.dataDir, 'pg')}` : 'external (DATABASE_URL)'}`);
    const started = !temporal ? '' : cfg.engine === 'server' ? ` (Temporal server started here with mTLS, state in Postgres)` : ` (dev server started here, state in ${path.join(cfg.dataDir, 'temporal.db')})`;
    log(`Temporal: ${address}, namespace ${cfg.temporal.namespace}${started}`);
    if (uiUrl) log(`Temporal UI: ${uiUrl}/namespaces/${encodeURIComponent(cfg.temporal.namespace)}/workflows`);

    const startedTemporal = temporal;
    return {
      databaseUrl: postgres.url,
      temporalAddress: address,
      namespace: cfg.temporal.namespace,
      uiUrl,
      temporalTls: temporal?.tls,
      startedPostgres: postgres.embedded,
      startedTemporal: startedTemporal !== undefined,
      stop: async () => {

        const results = await Promise.allSettled([startedTemporal?.stop()]);
        results.push(...(await Promise.allSettled([postgres.stop()])));
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed.length > 0) throw new Error(`stopping the stack failed: ${failed.map((f) => String(f.reason)).join('; ')}`);
        log('stack stopped');
      },
    };
  } catch (err) {
    await temporal?.stop().catch(() => undefined);
    await postgres.stop().catch(() => undefined);
    throw err;
  }
}
