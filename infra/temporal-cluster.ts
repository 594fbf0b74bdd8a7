// The self-hosted Temporal server (go.temporal.io/server v1.29.1) on Postgres persistence with several
// history shards and mTLS everywhere: what an SPC deploys when it outgrows the dev server. Used by
// `spc up --engine server`, `npm run test:cluster` and the benchmarks (startTemporalCluster).
//
// The steps are those of a real deployment, on one machine: the binaries are built from Go modules
// (scripts/ensure-temporal-server.sh), the schema is set up by Temporal's own SQL tool, certificates
// are made with openssl (a CA and one certificate for server and client auth), the YAML configuration
// is generated, the `default` namespace and the SPC's search attributes are registered.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { loadConfig, type SpcConfig, type TemporalConfig } from './config';
import { connectTemporal, type TemporalTarget } from './temporal-connection';
import { DEV_SERVER_DYNAMIC_CONFIG, ensureNamespace, ensureSearchAttributes, freePort, SPC_SEARCH_ATTRIBUTES } from './temporal-server';

const execFileAsync = promisify(execFile);

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** Fixed when the database is first used; four shards exercise cross-shard paths while staying small. */
export const CLUSTER_HISTORY_SHARDS = 4;
/**
 * maxConns is per service pool and the one process runs four services, so the server holds about
 * 4 x (default + visibility) connections: 4 x (10 + 2) = 48, well below the 100 of a stock Postgres.
 */
export const CLUSTER_DEFAULT_STORE_MAX_CONNS = 10;
export const CLUSTER_VISIBILITY_STORE_MAX_CONNS = 2;
/** Postgres visibility keeps custom search attributes in fixed columns: ten Keyword ones at most. */
export const POSTGRES_VISIBILITY_MAX_KEYWORD_ATTRIBUTES = 10;
/** Ready in 1-2.5 s on a quiet machine; a loaded 2-core box needs more. */
export const CLUSTER_READY_TIMEOUT_MS = 90_000;
/** SIGTERM stops it in 2-4 s; after this it is killed. */
export const CLUSTER_STOP_GRACE_MS = 20_000;
/** A newly registered search attribute reaches the services' caches within ~2 s; give it this long. */
export const SEARCH_ATTRIBUTE_SETTLE_TIMEOUT_MS = 30_000;
/** Test certificates live as long as a cluster's data directory is likely to; renewed when near expiry. */
export const CERT_VALIDITY_DAYS = 90;
const CERT_RENEW_BEFORE_SECONDS = 7 * 86_400;
const POLL_MS = 250;
const LOG_TAIL_CHARS = 3_000;
const SQL_PLUGIN = 'postgres12';
/** Schemas embedded in the SQL tool (the same files as schema/postgresql/v12 in the module source). */
const SCHEMA_NAMES = { default: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;
/** The one name the certificate's SAN covers that clients use for host name checks. */
export const CLUSTER_TLS_SERVER_NAME = 'localhost';

if (SPC_SEARCH_ATTRIBUTES.length > POSTGRES_VISIBILITY_MAX_KEYWORD_ATTRIBUTES) {
  throw new Error(`the SPC registers ${SPC_SEARCH_ATTRIBUTES.length} Keyword search attributes; Postgres visibility holds at most ${POSTGRES_VISIBILITY_MAX_KEYWORD_ATTRIBUTES}`);
}

/** Thrown when the server binaries cannot be found or built, or the server does not come up. */
export class TemporalClusterError extends Error {
  override name = 'TemporalClusterError';
  constructor(message: string, readonly logFile?: string) {
    super(message);
  }
}

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
}

export interface ClusterCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ClusterDatabases {
  default: string;
  visibility: string;
}

/** Database names of a cluster: temporal_<name> and temporal_<name>_visibility. */
export function clusterDatabases(name: string): ClusterDatabases {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) throw new TemporalClusterError(`cluster name ${JSON.stringify(name)} must be lower-case letters, digits and _ (it names databases)`);
  return { default: `temporal_${name}`, visibility: `temporal_${name}_visibility` };
}

export function postgresEndpointOf(url: string): PostgresEndpoint {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 5432), user: decodeURIComponent(u.username || 'postgres'), password: decodeURIComponent(u.password) };
}

/** Finds or builds the server and SQL tool binaries (the bash script holds the build lock). */
export function ensureTemporalServerBinaries(cfg: Pick<SpcConfig, 'cacheDir' | 'projectRoot'>, log: (m: string) => void): Promise<ClusterBinaries> {
  const script = path.join(cfg.projectRoot, 'scripts', 'ensure-temporal-server.sh');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { env: { ...process.env, SPC_CACHE_DIR: cfg.cacheDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-LOG_TAIL_CHARS);
      for (const line of text.split('\n')) if (line.startsWith('ensure-temporal-server:')) log(line.replace(/^ensure-temporal-server: /, ''));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new TemporalClusterError(`${script} failed (exit ${code}):\n${tail}`));
      const dir = stdout.trim();
      resolve({ server: path.join(dir, 'temporal-server'), sqlTool: path.join(dir, 'temporal-sql-tool') });
    });
  });
}

async function databaseExists(pg: PostgresEndpoint, name: string): Promise<boolean> {
  const client = new PgClient({ ...pg, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return (rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

async function sqlTool(binary: string, pg: PostgresEndpoint, database: string, args: string[]): Promise<void> {
  // Global flags go before the subcommand; the tool's defaults are MySQL's, hence the explicit plugin.
  const argv = ['--plugin', SQL_PLUGIN, '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', database, ...args];
  try {
    await execFileAsync(binary, argv, { env: { ...process.env, SQL_PLUGIN, SQL_HOST: pg.host, SQL_PORT: String(pg.port), SQL_USER: pg.user, SQL_PASSWORD: pg.password } });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new TemporalClusterError(`temporal-sql-tool ${args.join(' ')} on ${database} failed: ${(e.stderr || e.stdout || e.message).slice(-LOG_TAIL_CHARS)}`);
  }
}

/** Creates both databases when missing and brings their schemas to the version the binary expects. */
export async function setupClusterSchema(binaries: ClusterBinaries, pg: PostgresEndpoint, dbs: ClusterDatabases, log: (m: string) => void): Promise<void> {
  for (const [kind, database] of Object.entries(dbs) as Array<[keyof ClusterDatabases, string]>) {
    if (!(await databaseExists(pg, database))) {
      await sqlTool(binaries.sqlTool, pg, database, ['create-database']);
      await sqlTool(binaries.sqlTool, pg, database, ['setup-schema', '-v', '0.0']);
      log(`created database ${database}`);
    }
    // Idempotent: applies only the versions the database lacks (also after a server upgrade).
    await sqlTool(binaries.sqlTool, pg, database, ['update-schema', '--schema-name', SCHEMA_NAMES[kind]]);
  }
}

/** Drops a cluster's databases (tests); the server must be stopped. */
export async function dropClusterDatabases(pg: PostgresEndpoint, dbs: ClusterDatabases): Promise<void> {
  const client = new PgClient({ ...pg, database: 'postgres' });
  await client.connect();
  try {
    for (const database of Object.values(dbs)) await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new TemporalClusterError(`openssl ${args[0]} failed: ${e.stderr || e.message}; is openssl installed?`);
  }
}

async function certValid(file: string): Promise<boolean> {
  if (!fs.existsSync(file)) return false;
  try {
    await execFileAsync('openssl', ['x509', '-in', file, '-noout', '-checkend', String(CERT_RENEW_BEFORE_SECONDS)]);
    return true;
  } catch {
    return false;
  }
}

/**
 * A CA and one certificate signed by it, with SAN localhost and 127.0.0.1, usable for server and client
 * auth: the frontend, the services between themselves, the system worker and the SPC's processes all
 * present it. Kept in dir (mode 0700) and reused while valid; nothing secret is ever in the repository.
 */
export async function ensureClusterCertificates(dir: string, subject = 'SPC Temporal'): Promise<ClusterCertificates> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certs = { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'node.pem'), keyFile: path.join(dir, 'node.key') };
  if ((await certValid(certs.caFile)) && (await certValid(certs.certFile)) && fs.existsSync(certs.keyFile)) return certs;
  const days = String(CERT_VALIDITY_DAYS);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', days, '-subj', `/CN=${subject} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', `/CN=${CLUSTER_TLS_SERVER_NAME}`], dir);
  fs.writeFileSync(
    path.join(dir, 'node.ext'),
    ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=DNS:${CLUSTER_TLS_SERVER_NAME},IP:127.0.0.1`, ''].join('\n'),
  );
  await openssl(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', days, '-extfile', 'node.ext'], dir);
  for (const key of ['ca.key', 'node.key']) fs.chmodSync(path.join(dir, key), 0o600);
  return certs;
}

export interface ClusterConfigInput {
  ports: ClusterPorts;
  pg: PostgresEndpoint;
  dbs: ClusterDatabases;
  certs: ClusterCertificates;
  /** Absolute: the server resolves a relative one against its working directory, not the config. */
  dynamicConfigFile: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML scalar

/** The server's YAML configuration (pure, so a unit test can read it). */
export function clusterConfigYaml(c: ClusterConfigInput): string {
  const store = (database: string, maxConns: number) => [
    '      sql:',
    `        pluginName: ${q(SQL_PLUGIN)}`,
    `        databaseName: ${q(database)}`,
    `        connectAddr: ${q(`${c.pg.host}:${c.pg.port}`)}`,
    '        connectProtocol: "tcp"',
    `        user: ${q(c.pg.user)}`,
    `        password: ${q(c.pg.password)}`,
    `        maxConns: ${maxConns}`,
    `        maxIdleConns: ${maxConns}`,
    '        maxConnLifetime: "1h"',
  ];
  const serverTls = [
    `        certFile: ${q(c.certs.certFile)}`,
    `        keyFile: ${q(c.certs.keyFile)}`,
    '        requireClientAuth: true',
    `        clientCaFiles: [${q(c.certs.caFile)}]`,
  ];
  const clientTls = [`        serverName: ${q(CLUSTER_TLS_SERVER_NAME)}`, `        rootCaFiles: [${q(c.certs.caFile)}]`];
  const service = (name: string, grpc: number, membership: number, http?: number) => [
    `  ${name}:`,
    '    rpc:',
    `      grpcPort: ${grpc}`,
    `      membershipPort: ${membership}`,
    '      bindOnLocalHost: true',
    ...(http ? [`      httpPort: ${http}`] : []),
  ];
  const frontend = `127.0.0.1:${c.ports.frontend}`;
  return [
    '# Generated by infra/temporal-cluster.ts; edits are overwritten on the next start.',
    'log:',
    '  stdout: true',
    `  level: ${q(c.logLevel ?? 'warn')}`,
    'persistence:',
    '  defaultStore: postgres-default',
    '  visibilityStore: postgres-visibility',
    `  numHistoryShards: ${CLUSTER_HISTORY_SHARDS}`,
    '  datastores:',
    '    postgres-default:',
    ...store(c.dbs.default, CLUSTER_DEFAULT_STORE_MAX_CONNS),
    '    postgres-visibility:',
    ...store(c.dbs.visibility, CLUSTER_VISIBILITY_STORE_MAX_CONNS),
    'global:',
    '  membership:',
    '    maxJoinDuration: 30s',
    '    broadcastAddress: "127.0.0.1"',
    '  tls:',
    '    frontend:',
    '      server:',
    ...serverTls,
    '      client:',
    ...clientTls,
    '    internode:',
    '      server:',
    ...serverTls,
    '      client:',
    ...clientTls,
    // Without this the server reports SERVING while its own system worker cannot reach the frontend.
    '    systemWorker:',
    `      certFile: ${q(c.certs.certFile)}`,
    `      keyFile: ${q(c.certs.keyFile)}`,
    '      client:',
    ...clientTls,
    'services:',
    ...service('frontend', c.ports.frontend, c.ports.frontendMembership, c.ports.frontendHttp),
    ...service('history', c.ports.history, c.ports.historyMembership),
    ...service('matching', c.ports.matching, c.ports.matchingMembership),
    ...service('worker', c.ports.worker, c.ports.workerMembership),
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    '  masterClusterName: "active"',
    '  currentClusterName: "active"',
    '  clusterInformation:',
    '    active:',
    '      enabled: true',
    '      initialFailoverVersion: 1',
    '      rpcName: "frontend"',
    `      rpcAddress: ${q(frontend)}`,
    'dcRedirectionPolicy:',
    '  policy: "noop"',
    'publicClient:',
    `  hostPort: ${q(frontend)}`,
    'dynamicConfigClient:',
    `  filepath: ${q(c.dynamicConfigFile)}`,
    '  pollInterval: "10s"',
    '',
  ].join('\n');
}

/** The dev server's dynamic config (update, update-with-start, raised rate limits) in the server's file format. */
export function clusterDynamicConfigYaml(): string {
  return Object.entries(DEV_SERVER_DYNAMIC_CONFIG)
    .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`)
    .join('');
}

export interface ClusterOptions {
  /** Names the databases (temporal_<name>) and the state directory; lower-case letters, digits, _. */
  name: string;
  /** State (config, certificates, log, pid file) goes to <dataDir>/temporal-cluster/<name>. */
  dataDir: string;
  cacheDir: string;
  projectRoot: string;
  /** Any URL of the Postgres to keep Temporal's databases in (its database part is ignored). */
  postgresUrl: string;
  namespace: string;
  retentionDays: number;
  /** gRPC frontend port; 0 or omitted picks a free one. */
  port?: number;
  log: (m: string) => void;
}

export interface RunningCluster {
  address: string;
  namespace: string;
  pid?: number;
  logFile: string;
  certs: ClusterCertificates;
  databases: ClusterDatabases;
  /** What a process needs to connect: config.temporal with the address and the mTLS files. */
  temporal: Pick<TemporalConfig, 'address' | 'tls'> & { address: string };
  /** The same, as the environment variables infra/config.ts reads (for child processes). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-LOG_TAIL_CHARS);
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Kills a server left by a run that died before stopping it (its pid file, if still that binary). */
function killLeftover(pidFile: string, log: (m: string) => void): void {
  const pid = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '');
  if (!pid) return;
  try {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('temporal-server')) {
      log(`stopping a Temporal server left by an earlier run (pid ${pid})`);
      process.kill(pid, 'SIGKILL');
    }
  } catch {
    // Not running any more.
  }
  fs.rmSync(pidFile, { force: true });
}

/**
 * The server stores each service's membership port in a Postgres smallint (cluster_membership), so
 * a port above 32767 (where the OS hands out ephemeral ports) makes it exit at start. Membership
 * ports are therefore picked at random in this range and checked free.
 */
const MEMBERSHIP_PORT_RANGE = { min: 20_000, max: 32_767 } as const;
const MEMBERSHIP_PORT_TRIES_MAX = 100;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freeMembershipPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < MEMBERSHIP_PORT_TRIES_MAX; i++) {
    const port = MEMBERSHIP_PORT_RANGE.min + Math.floor(Math.random() * (MEMBERSHIP_PORT_RANGE.max - MEMBERSHIP_PORT_RANGE.min + 1));
    if (!taken.has(port) && (await portFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new TemporalClusterError(`no free port for cluster membership between ${MEMBERSHIP_PORT_RANGE.min} and ${MEMBERSHIP_PORT_RANGE.max}`);
}

async function freePorts(frontend?: number): Promise<ClusterPorts> {
  const next = () => freePort();
  const taken = new Set<number>();
  return {
    frontend: frontend || (await next()),
    frontendHttp: await next(),
    frontendMembership: await freeMembershipPort(taken),
    history: await next(),
    historyMembership: await freeMembershipPort(taken),
    matching: await next(),
    matchingMembership: await freeMembershipPort(taken),
    worker: await next(),
    workerMembership: await freeMembershipPort(taken),
  };
}

/**
 * A workflow started right after its search attributes were registered can fail with "no mapping
 * defined" until every service's cache has them. This starts (and terminates) a probe workflow that
 * sets all of them, until it is accepted, so the first payment does not hit that window.
 */
async function waitForSearchAttributes(target: TemporalTarget, taskQueue: string): Promise<void> {
  const { client, connection } = await connectTemporal(target);
  const deadline = Date.now() + SEARCH_ATTRIBUTE_SETTLE_TIMEOUT_MS;
  try {
    for (let attempt = 0; ; attempt++) {
      const workflowId = `spc-search-attribute-probe-${process.pid}-${attempt}`;
      try {
        const handle = await client.workflow.start('spcSearchAttributeProbe', {
          workflowId,
          taskQueue: `${taskQueue}-probe`,
          searchAttributes: Object.fromEntries(SPC_SEARCH_ATTRIBUTES.map((name) => [name, ['probe']])),
        });
        await handle.terminate('search attribute probe');
        return;
      } catch (err) {
        // "no mapping defined for search attribute" while the caches fill; anything else persists past the deadline.
        if (Date.now() > deadline) throw err;
        await sleep(POLL_MS * 4);
      }
    }
  } finally {
    await connection.close();
  }
}

/** Builds (once), sets up and starts a Temporal server with mTLS; resolves when the namespace is usable. */
export async function startTemporalCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const dbs = clusterDatabases(opts.name);
  const dir = path.join(opts.dataDir, 'temporal-cluster', opts.name);
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  const pidFile = path.join(dir, 'server.pid');
  const logFile = path.join(dir, 'server.log');
  killLeftover(pidFile, opts.log);

  const binaries = await ensureTemporalServerBinaries(opts, opts.log);
  const pg = postgresEndpointOf(opts.postgresUrl);
  const schemaStartedAt = Date.now();
  await setupClusterSchema(binaries, pg, dbs, opts.log);
  opts.log(`Temporal schema ready in ${dbs.default} and ${dbs.visibility} (${Date.now() - schemaStartedAt} ms)`);
  const certs = await ensureClusterCertificates(path.join(dir, 'certs'));

  const ports = await freePorts(opts.port);
  const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
  fs.writeFileSync(dynamicConfigFile, clusterDynamicConfigYaml());
  // Mode 0600: the file carries the Postgres password.
  fs.writeFileSync(path.join(configDir, 'spc.yaml'), clusterConfigYaml({ ports, pg, dbs, certs, dynamicConfigFile }), { mode: 0o600 });

  const args = ['--root', dir, '--config', 'config', '--env', 'spc', '--allow-no-auth', 'start'];
  const logFd = fs.openSync(logFile, 'a');
  fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${binaries.server} ${args.join(' ')}\n`);
  const startedAt = Date.now();
  const child = spawn(binaries.server, args, { stdio: ['ignore', logFd, logFd], cwd: dir });
  fs.closeSync(logFd);
  if (child.pid) fs.writeFileSync(pidFile, String(child.pid));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new TemporalClusterError(`cannot run ${binaries.server}: ${err.message}`, logFile))));

  const address = `127.0.0.1:${ports.frontend}`;
  const tls = { serverRootCACertPath: certs.caFile, clientCertPath: certs.certFile, clientKeyPath: certs.keyFile, serverNameOverride: CLUSTER_TLS_SERVER_NAME };
  const target: TemporalTarget = { address, namespace: opts.namespace, taskQueue: 'spc', tls };
  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, CLUSTER_STOP_GRACE_MS))) {
        opts.log(`Temporal server (pid ${child.pid}) ignored SIGTERM for ${CLUSTER_STOP_GRACE_MS / 1000} s; killing it`);
        child.kill('SIGKILL');
        await waitForExit(child, CLUSTER_STOP_GRACE_MS);
      }
    }
    fs.rmSync(pidFile, { force: true });
  };

  try {
    await Promise.race([prepare(), spawnFailed]);
  } catch (err) {
    await stop();
    throw err instanceof TemporalClusterError ? err : new TemporalClusterError(`${(err as Error).message}; the server log ${logFile} ends with:\n${readTail(logFile)}`, logFile);
  }
  opts.log(`Temporal server ${TEMPORAL_SERVER_VERSION} pid ${child.pid} serving ${address} with mTLS (${CLUSTER_HISTORY_SHARDS} shards, Postgres ${pg.host}:${pg.port}) after ${Date.now() - startedAt} ms; log ${logFile}`);
  return {
    address,
    namespace: opts.namespace,
    pid: child.pid,
    logFile,
    certs,
    databases: dbs,
    temporal: { address, tls },
    env: {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: opts.namespace,
      TEMPORAL_TLS_CA: certs.caFile,
      TEMPORAL_TLS_CERT: certs.certFile,
      TEMPORAL_TLS_KEY: certs.keyFile,
      TEMPORAL_TLS_SERVER_NAME: CLUSTER_TLS_SERVER_NAME,
    },
    stop,
  };

  async function prepare(): Promise<void> {
    const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
    // The frontend answers before history and matching have joined; registering the namespace is
    // the first call that needs all of them, so it is retried until the deadline.
    for (;;) {
      if (exited(child)) throw new TemporalClusterError(`the Temporal server exited during startup (${child.exitCode ?? child.signalCode}); its log ${logFile} ends with:\n${readTail(logFile)}`, logFile);
      try {
        const { connection } = await connectTemporal(target);
        try {
          await connection.workflowService.getSystemInfo({});
          await ensureNamespace(connection, opts.namespace, opts.retentionDays, opts.log);
          await ensureSearchAttributes(connection, opts.namespace, opts.log);
        } finally {
          await connection.close();
        }
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new TemporalClusterError(`the Temporal server did not become ready within ${CLUSTER_READY_TIMEOUT_MS / 1000} s (${(err as Error).message}); its log ${logFile} ends with:\n${readTail(logFile)}`, logFile);
        await sleep(POLL_MS * 2);
      }
    }
    await waitForSearchAttributes(target, target.taskQueue);
  }
}

/**
 * A cluster for one run (benchmarks with `--engine server`, tests): its own databases and state
 * directory, both removed by stop(). Connect with connectTemporal / connectNativeTemporal on
 * `{ ...config.temporal, ...cluster.temporal }`, or hand `cluster.env` to child processes.
 */
export async function startThrowawayCluster(opts: {
  postgresUrl: string;
  log: (m: string) => void;
  namespace?: string;
  /** Where its state goes while it runs; default <dataDir>/temporal-cluster-runs. */
  dataDir?: string;
  config?: Pick<SpcConfig, 'dataDir' | 'cacheDir' | 'projectRoot'>;
}): Promise<RunningCluster> {
  const cfg = opts.config ?? loadConfig();
  const name = `run_${process.pid}_${Date.now().toString(36)}`;
  const dataDir = opts.dataDir ?? path.join(cfg.dataDir, 'temporal-cluster-runs');
  const dbs = clusterDatabases(name);
  const pg = postgresEndpointOf(opts.postgresUrl);
  const cleanup = async () => {
    await dropClusterDatabases(pg, dbs).catch((err: Error) => opts.log(`dropping ${dbs.default}, ${dbs.visibility}: ${err.message}`));
    fs.rmSync(path.join(dataDir, 'temporal-cluster', name), { recursive: true, force: true });
  };
  let cluster: RunningCluster;
  try {
    cluster = await startTemporalCluster({
      name,
      dataDir,
      cacheDir: cfg.cacheDir,
      projectRoot: cfg.projectRoot,
      postgresUrl: opts.postgresUrl,
      namespace: opts.namespace ?? 'default',
      retentionDays: 1,
      log: opts.log,
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    ...cluster,
    stop: async () => {
      await cluster.stop();
      await cleanup();
    },
  };
}
