// Jest globalSetup for the integration project: ONE Temporal dev server (in-memory, headless, free
// port) and one Postgres for the whole run. Tests reach them through process.env (TEMPORAL_ADDRESS,
// SPC_TEST_ADMIN_DB_URL), which jest's test workers inherit. globalTeardown runs in this same process
// and stops what is kept on globalThis; the state file lets the next run clean up after a killed one.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createDb } from '../../db/connection';
import { APPLICATION_ROLES, createAppRoleIfMissing, enableAppRoleLogin } from '../../db/app-role';
import { loadConfig } from '../../infra/config';
import { checkPostgres, startTemporaryPostgres } from '../../infra/postgres';
import { findTemporalCli, TemporalCliNotFoundError } from '../../infra/temporal-binary';
import { freePort, startDevServer, startDevServerViaSdk, type RunningDevServer } from '../../infra/temporal-server';

export const TEST_STACK_GLOBAL = '__SPC_TEST_STACK__';
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const POSTGRES_PROBE_TIMEOUT_MS = 2_000;

export interface TestStackState {
  temporalAddress: string;
  temporalPid?: number;
  adminDbUrl: string;
  embeddedPostgresDir?: string;
  ownerPid: number;
}

export interface TestStack {
  stop(): Promise<void>;
}

const STATE_FILE_PATTERN = /^test-stack-\d+\.json$/;

/** One state file per jest process, so concurrent runs in one tree do not overwrite each other's. */
export function testStackStateFile(pid = process.pid): string {
  return path.join(loadConfig().dataDir, `test-stack-${pid}.json`);
}

const log = (message: string) => process.stderr.write(`[integration setup] ${message}\n`);

/** True when pid is alive and its command line mentions `name` (guards against a recycled pid). */
function isLiveProcessOf(pid: number | undefined, name: string): pid is number {
  if (!pid) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return false;
  }
}

/** Stops servers left by a run that was killed before its teardown. */
export function killLeftovers(state: TestStackState): void {
  if (isLiveProcessOf(state.temporalPid, 'temporal')) {
    log(`stopping a Temporal dev server left by an earlier run (pid ${state.temporalPid})`);
    process.kill(state.temporalPid, 'SIGKILL');
  }
  if (state.embeddedPostgresDir) {
    const pidFile = path.join(state.embeddedPostgresDir, 'pg', 'postmaster.pid');
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined;
    if (isLiveProcessOf(pid, 'postgres')) {
      log(`stopping a Postgres left by an earlier run (pid ${pid})`);
      process.kill(pid, 'SIGINT');
    }
    fs.rmSync(state.embeddedPostgresDir, { recursive: true, force: true });
  }
}

async function startTemporal(log: (m: string) => void): Promise<RunningDevServer> {
  const cfg = loadConfig();
  const options = { port: 0, uiPort: null, namespace: 'default', log };
  try {
    const binary = await findTemporalCli(cfg, log);
    return await startDevServer({ ...options, binary, logFile: path.join(cfg.dataDir, 'test-temporal.log') });
  } catch (err) {
    if (!(err instanceof TemporalCliNotFoundError)) throw err;
    log(err.message);
    return startDevServerViaSdk({ ...options, downloadDir: path.join(cfg.cacheDir, 'temporal-sdk') });
  }
}

async function reachablePostgres(): Promise<string | undefined> {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_TEST_POSTGRES_URL;
  try {
    await checkPostgres(url, POSTGRES_PROBE_TIMEOUT_MS);
    return url;
  } catch (err) {
    log(`no Postgres at ${url.replace(/:[^:@/]+@/, ':***@')} (${(err as Error).message}); starting an embedded one`);
    return undefined;
  }
}

/** Another run's ALTER ROLE on the same cluster may collide with ours ("tuple concurrently updated"). */
const APP_ROLE_ATTEMPTS_MAX = 3;

/**
 * The app roles (db/app-role.ts: spc_app, spc_api, spc_worker) are cluster-wide: created here once per run, with a password of
 * this run, before any test database migrates (each migration then grants on its own database).
 */
async function prepareAppRole(adminDbUrl: string): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  const admin = createDb(adminDbUrl, 1);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        for (const role of APPLICATION_ROLES) {
          await createAppRoleIfMissing(admin, role);
          await enableAppRoleLogin(admin, password, role);
        }
        return password;
      } catch (err) {
        if (attempt >= APP_ROLE_ATTEMPTS_MAX) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  } finally {
    await admin.destroy();
  }
}

export default async function globalSetup(): Promise<void> {
  const startedAt = Date.now();
  const stateFile = testStackStateFile();
  const dataDir = path.dirname(stateFile);
  for (const name of fs.existsSync(dataDir) ? fs.readdirSync(dataDir).filter((n) => STATE_FILE_PATTERN.test(n)) : []) {
    const file = path.join(dataDir, name);
    try {
      const state = JSON.parse(fs.readFileSync(file, 'utf8')) as TestStackState;
      if (isLiveProcessOf(state.ownerPid, 'jest')) continue; // a run still going: leave it alone
      killLeftovers(state);
      fs.rmSync(file, { force: true });
    } catch (err) {
      log(`ignoring unreadable ${file}: ${(err as Error).message}`);
    }
  }

  const [temporal, existingPg] = await Promise.all([startTemporal(log), reachablePostgres()]);
  let embedded: Awaited<ReturnType<typeof startTemporaryPostgres>> | undefined;
  try {
    if (!existingPg) embedded = await startTemporaryPostgres(await freePort(), log);
  } catch (err) {
    await temporal.stop();
    throw err;
  }
  const adminDbUrl = existingPg ?? embedded!.adminUrl;
  try {
    process.env.SPC_TEST_APP_ROLE_PASSWORD = await prepareAppRole(adminDbUrl);
  } catch (err) {
    await Promise.allSettled([temporal.stop(), embedded?.stop()]);
    throw err;
  }

  process.env.TEMPORAL_ADDRESS = temporal.address;
  process.env.TEMPORAL_NAMESPACE = 'default';
  process.env.SPC_TEST_ADMIN_DB_URL = adminDbUrl;

  const state: TestStackState = { temporalAddress: temporal.address, temporalPid: temporal.pid, adminDbUrl, embeddedPostgresDir: embedded?.dir, ownerPid: process.pid };
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  fs.writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });

  const stack: TestStack = {
    stop: async () => {
      await Promise.allSettled([temporal.stop(), embedded?.stop()]);
      fs.rmSync(stateFile, { force: true });
    },
  };
  (globalThis as Record<string, unknown>)[TEST_STACK_GLOBAL] = stack;
  log(`Temporal ${temporal.address}, Postgres ${embedded ? 'embedded (temporary)' : adminDbUrl.replace(/:[^:@/]+@/, ':***@')}; ready in ${Date.now() - startedAt} ms`);
}
