// Lifecycle commands: migrate, up (the one-command start; the processes alone are in processes.ts).
import type { Command } from 'commander';
import path from 'node:path';
import { migrateLatest, createAppDb, createDb, type Db } from '../../db/connection';
import { API_ROLE, APP_ROLE, WORKER_ROLE, appRoleUrl, enableAppRoleLogin, refuseOwnerSessions, type ApplicationRole } from '../../db/app-role';
import { readOrCreatePassword } from '../../infra/postgres';
import { connectTemporal, payloadCodecOf } from '../../infra/temporal-connection';
import { TEMPORAL_ENGINES, type SpcConfig, type TemporalEngine } from '../../infra/config';
import { ensureDataDirPayloadKeys } from '../../infra/payload-keys';
import { configureProcessLogger } from '../../infra/log';
import { codecUiEndpoint } from '../../api/routes/codec';
import { stopWithin, waitForSignal } from '../../infra/process';
import { startStack } from '../../infra/stack';
import { startLocalMailServer } from '../../infra/mail-server';
import { freePort } from '../../infra/temporal-server';
import { seedDemo, seedReferenceData, SAMPLE_ACCOUNTS } from '../../db/seed';
import { DEMO_CODES_FILE, writeDemoAccessCodes } from './cabinet';
import { installWorkerRuntime, startWorker } from '../../worker/run';
import { CliError, Runtime, removeRuntimeFile, writeRuntimeFile } from '../runtime';
import { progressBar } from '../progress';
import { bootstrapOperator } from '../operator-bootstrap';
import { countAccounts } from '../../db/queries/accounts';
import { devTokenFile, writeTokenFile } from '../../infra/operator-credential';
import { newOperatorToken, startServices, type Services } from '../services';

/** Accounts `spc up` seeds into an empty database: enough to look real, quick to load. */
const UP_DEMO_ACCOUNTS_DEFAULT = 20_000;

function log(msg: string): void {
  process.stderr.write(`[spc] ${msg}\n`);
}

/**
 * Payload encryption is on from the first `spc up`: SPC_PAYLOAD_KEYS when set, else a key generated
 * once into the data directory beside the dev server's state (never into the repository). Against
 * a cluster of its own (TEMPORAL_ADDRESS) nothing is generated: every process there needs the same
 * keys, which only SPC_PAYLOAD_KEYS can give them.
 */
function upPayloadKeys(cfg: SpcConfig): SpcConfig['temporal']['payloadKeys'] {
  if (cfg.temporal.payloadKeys) return cfg.temporal.payloadKeys;
  if (cfg.temporal.address) {
    log('payloads are not encrypted: set SPC_PAYLOAD_KEYS (and SPC_PAYLOAD_KEY_CURRENT) on every process to keep personal data out of Temporal');
    return undefined;
  }
  const { keyring, created } = ensureDataDirPayloadKeys(cfg.dataDir);
  if (created) log(`generated a payload encryption key in ${cfg.dataDir} (payloads in Temporal are encrypted; keep that file with the data)`);
  return keyring;
}

/**
 * The API's codec endpoint for the dev server's UI, when the API runs on a known port with payload
 * keys. It holds no secret: it answers only a signed-in operator's session cookie (api/routes/codec.ts).
 */
function uiCodecEndpointOf(cfg: SpcConfig, api: boolean): string | undefined {
  if (!api || !cfg.temporal.payloadKeys || cfg.httpPort === 0) return undefined;
  const host = cfg.httpHost === '0.0.0.0' || cfg.httpHost === '::' ? '127.0.0.1' : cfg.httpHost;
  return codecUiEndpoint(cfg.publicBaseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${cfg.httpPort}`);
}

type Stack = Awaited<ReturnType<typeof startStack>>;

/** The URLs of the application's roles (db/app-role.ts) `spc up` connects its API and its worker with. */
interface AppUrls {
  app: string;
  api: string;
  worker: string;
}

/**
 * On the embedded Postgres `spc up` owns the cluster, so it lets each role log in with a password
 * kept beside the owner's (.data/pg-<role>-password); elsewhere SPC_API_DATABASE_URL and
 * SPC_WORKER_DATABASE_URL, each else SPC_APP_DATABASE_URL, else the owner (refused unless SPC_DEV=1).
 */
async function appDatabaseUrlsFor(cfg: SpcConfig, stack: Stack, owner: Db): Promise<AppUrls> {
  if (!stack.startedPostgres) {
    const app = cfg.appDatabaseUrl ?? stack.databaseUrl;
    return { app, api: cfg.apiDatabaseUrl ?? app, worker: cfg.workerDatabaseUrl ?? app };
  }
  const urlOf = async (role: ApplicationRole, file: string): Promise<string> => {
    const password = readOrCreatePassword(path.join(cfg.dataDir, file));
    await enableAppRoleLogin(owner, password, role);
    return appRoleUrl(stack.databaseUrl, password, role);
  };
  const app = cfg.appDatabaseUrl ?? (await urlOf(APP_ROLE, 'pg-app-password'));
  return {
    app,
    api: cfg.apiDatabaseUrl ?? (cfg.appDatabaseUrl ? app : await urlOf(API_ROLE, 'pg-api-password')),
    worker: cfg.workerDatabaseUrl ?? (cfg.appDatabaseUrl ? app : await urlOf(WORKER_ROLE, 'pg-worker-password')),
  };
}

/** The API's and the worker's pools, each refused when it would own the data (outside a development run). */
async function openAppPools(cfg: SpcConfig, stack: Stack, urls: AppUrls, pools: Db[]): Promise<{ apiDb: Db; workerDb: Db }> {
  const apiDb = createAppDb(urls.api, cfg.dbTimeouts);
  pools.push(apiDb);
  const workerDb = createAppDb(urls.worker, cfg.dbTimeouts);
  pools.push(workerDb);
  // Its own embedded Postgres is a development run by definition; a Postgres of DATABASE_URL is one only with SPC_DEV=1.
  for (const [db, who] of [[apiDb, 'spc up (its API)'], [workerDb, 'spc up (its worker)']] as const) {
    const ownerWarning = await refuseOwnerSessions(db, who, cfg.devRun || stack.startedPostgres);
    if (ownerWarning) log(ownerWarning);
  }
  return { apiDb, workerDb };
}

/** Migrations, reference data, and demo accounts when the database has none. */
async function prepareDatabase(db: ReturnType<typeof createDb>, accounts: number, dataDir: string): Promise<void> {
  const applied = await migrateLatest(db);
  log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');
  await seedReferenceData(db);
  if ((await countAccounts(db)) === 0) {
    log(`empty database: seeding ${accounts} demo accounts`);
    const bar = progressBar('demo accounts', accounts);
    await seedDemo(db, { accounts, onProgress: (done) => bar.tick(done) });
    bar.done();
    // A newcomer signs in to /cabinet with these (issue 20 item 3); only this user may read the file.
    await writeDemoAccessCodes(db, path.join(dataDir, DEMO_CODES_FILE));
  }
}

/** Where everything is, and a first payment to try. */
function printWelcome(stack: Stack, services: Services, taskQueue: string, payloadKeyId: string | undefined): void {
  const sample = SAMPLE_ACCOUNTS[0];
  process.stdout.write(
    [
      '',
      'SPC settlement engine is up.',
      stack.uiUrl ? `  Temporal UI     ${stack.uiUrl}/namespaces/${encodeURIComponent(stack.namespace)}/workflows` : '',
      services.apiUrl ? `  Bank API        ${services.apiUrl}/docs   (OpenAPI: ${services.apiUrl}/openapi.json)` : '',
      services.apiUrl ? `  Cashier         ${services.apiUrl}/cashier` : '',
      services.apiUrl ? `  Households      ${services.apiUrl}/cabinet   (demo access codes: .data/${DEMO_CODES_FILE}, or spc cabinet code demo)` : '',
      services.opsUrl ? `  Operators       ${services.opsUrl}   (sign in as ops with the token in .data/operator-token)` : '',
      `  Temporal        ${stack.temporalAddress} (task queue ${taskQueue})`,
      `  Postgres        ${stack.startedPostgres ? 'embedded, data in .data/pg' : 'DATABASE_URL'}`,
      `  Payloads        ${payloadKeyId ? `encrypted in Temporal (key ${payloadKeyId}); operators decode them at ${services.apiUrl ?? 'the API'}/codec with their own token, the UI at /codec/ui once signed in on /ops (README)` : 'NOT encrypted (no SPC_PAYLOAD_KEYS)'}`,
      '',
      'Make a payment (in another terminal):',
      `  npx spc pay --bank HSBK --ref demo-1 --account ${sample} --amount 1000.00`,
      '  npx spc payment show HSBK demo-1',
      '',
      'Ctrl-C stops everything started here.',
      '',
    ]
      .filter((l, i, all) => l !== '' || all[i - 1] !== '')
      .join('\n'),
  );
}

/** Runs the stack, worker and services until a signal (or the worker stops), then stops all of it. */
async function runUp(base: SpcConfig, opts: { accounts: number; api: boolean }): Promise<void> {
  // Its own progress lines stay prose for the person at the terminal; the API's and the SDK's are JSON (infra/log.ts).
  configureProcessLogger(base.logLevel, 'up');
  // One Prometheus target for the whole machine: the SDK exports on loopback, the API's /metrics appends it.
  installWorkerRuntime('WARN', opts.api ? { sdkMetricsBindAddress: `127.0.0.1:${await freePort()}` } : {});
  // The token is chosen before the dev server starts, whose UI is given the codec endpoint it guards.
  const cfg: SpcConfig = {
    ...base, operatorToken: base.operatorToken ?? (opts.api ? newOperatorToken() : undefined), temporal: { ...base.temporal, payloadKeys: upPayloadKeys(base) },
  };
  // No relay configured: a local SMTP server whose mail lands as .eml files in .data/mail.
  const localMail = base.households.smtpUrl ? undefined : await startLocalMailServer(path.join(cfg.dataDir, 'mail'));
  if (localMail) {
    cfg.households = { ...cfg.households, smtpUrl: localMail.url };
    log(`mail: local SMTP server ${localMail.url}, received mail in ${localMail.dir}`);
  }
  const stack = await startStack(cfg, log, { uiCodecEndpoint: uiCodecEndpointOf(cfg, opts.api) }).catch(async (err: unknown) => {
    await localMail?.stop();
    throw err;
  });
  const db = createDb(stack.databaseUrl);
  const appPools: Db[] = [];
  let services: Services | undefined;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const target = { ...cfg.temporal, address: stack.temporalAddress, tls: stack.temporalTls ?? cfg.temporal.tls };
  const temporal = await connectTemporal(target);
  try {
    await prepareDatabase(db, opts.accounts, cfg.dataDir);
    const operatorLine = await bootstrapOperator(db, devTokenFile(cfg.dataDir), writeTokenFile);
    if (operatorLine) log(operatorLine);
    const urls = await appDatabaseUrlsFor(cfg, stack, db);
    const { apiDb, workerDb } = await openAppPools(cfg, stack, urls, appPools);
    worker = await startWorker(cfg, { temporal: target, db: workerDb, client: temporal.client });
    services = await startServices({
      cfg, db: apiDb, client: temporal.client, api: opts.api, temporalUiUrl: stack.uiUrl, log, payloadCodec: payloadCodecOf(target),
    });
    writeRuntimeFile(cfg, {
      databaseUrl: stack.databaseUrl,
      appDatabaseUrl: urls.app,
      apiDatabaseUrl: urls.api,
      workerDatabaseUrl: urls.worker,
      temporalAddress: stack.temporalAddress,
      namespace: stack.namespace,
      uiUrl: stack.uiUrl,
      apiUrl: services.apiUrl,
      temporalTls: stack.temporalTls,
    });
    printWelcome(stack, services, cfg.temporal.taskQueue, target.payloadKeys?.currentKeyId);
    const signal = await Promise.race([waitForSignal(log), worker.done.then(() => 'worker stopped' as const)]);
    log(`${signal}: stopping`);
  } finally {
    removeRuntimeFile(cfg);
    // In-flight requests, then in-flight tasks, within SPC_SHUTDOWN_GRACE_MS; the stack stops either way.
    await stopWithin(cfg.process.shutdownGraceMs, async () => {
      await services?.stop().catch((err: Error) => log(`stopping services: ${err.message}`));
      await worker?.stop().catch((err: Error) => log(`stopping worker: ${err.message}`));
    }, log);
    await temporal.connection.close().catch(() => undefined);
    for (const pool of appPools) await pool.destroy();
    await db.destroy();
    await stack.stop();
    await localMail?.stop();
  }
}

export function registerCoreCommands(program: Command, rt: Runtime): void {
  program
    .command('migrate')
    .description('apply database migrations (DATABASE_URL or the database of `spc up`)')
    .action(async () => {
      const applied = await migrateLatest(await rt.db());
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    });

  program
    .command('up')
    .description('start everything: Postgres and Temporal (embedded unless DATABASE_URL / TEMPORAL_ADDRESS), migrations, demo data, worker, API')
    .option('--accounts <n>', 'demo accounts to seed into an empty database', String(UP_DEMO_ACCOUNTS_DEFAULT))
    .option('--no-api', 'do not start the HTTP API')
    .option('--engine <engine>', `Temporal to start when TEMPORAL_ADDRESS is unset: dev (dev server) or server (the real server on Postgres with mTLS); default SPC_TEMPORAL_ENGINE or dev`)
    .action(async (opts: { accounts: string; api: boolean; engine?: string }) => {
      const accounts = Number(opts.accounts);
      if (!Number.isInteger(accounts) || accounts < 1) throw new CliError(`--accounts must be a positive whole number, got ${opts.accounts}`);
      if (opts.engine !== undefined && !(TEMPORAL_ENGINES as readonly string[]).includes(opts.engine)) {
        throw new CliError(`--engine must be one of ${TEMPORAL_ENGINES.join(', ')}, got ${opts.engine}`);
      }
      await runUp({ ...rt.config, engine: (opts.engine as TemporalEngine | undefined) ?? rt.config.engine }, { accounts, api: opts.api });
    });
}
