// Configuration read from the environment, and the dev server command line derived from it.
import path from 'node:path';
import { loadConfig, PROJECT_ROOT, retentionDaysFromEnv } from '../../infra/config';
import { DEV_SERVER_DYNAMIC_CONFIG, devServerArgs, SPC_SEARCH_ATTRIBUTES } from '../../infra/temporal-server';

describe('loadConfig', () => {
  it('defaults to an embedded Postgres and a local dev server with state under the project', () => {
    const cfg = loadConfig({});
    expect(cfg.dataDir).toBe(path.join(PROJECT_ROOT, '.data'));
    expect(cfg.cacheDir).toBe(path.join(PROJECT_ROOT, '.cache'));
    expect(cfg.databaseUrl).toBeUndefined();
    expect(cfg.temporal).toEqual({ address: undefined, namespace: 'default', taskQueue: 'spc', apiKey: undefined, tls: undefined, uiUrl: undefined });
  });

  it('treats empty variables as unset', () => {
    const cfg = loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: '' });
    expect(cfg.databaseUrl).toBeUndefined();
    expect(cfg.temporal.address).toBeUndefined();
  });

  it('turns TLS on by itself when an API key is given', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporal.tls).toBe(true);
  });

  it('collects mTLS file paths', () => {
    const cfg = loadConfig({ TEMPORAL_TLS_CERT: '/c.pem', TEMPORAL_TLS_KEY: '/k.pem', TEMPORAL_TLS_CA: '/ca.pem' });
    expect(cfg.temporal.tls).toEqual({ serverNameOverride: undefined, serverRootCACertPath: '/ca.pem', clientCertPath: '/c.pem', clientKeyPath: '/k.pem' });
  });
});

describe('settings read for one part of the SPC', () => {
  it('has a default for each, under the data directory where it is a path', () => {
    const cfg = loadConfig({ SPC_DATA_DIR: '/srv/spc' });
    expect(cfg.archiveDir).toBe(path.resolve('/srv/spc/archive'));
    expect([cfg.embeddedPgPort, cfg.temporalRetentionDays, cfg.temporalCliPath, cfg.operator]).toEqual([54329, 30, undefined, undefined]);
    expect(cfg.complaintDeadlines.DUPLICATE_PAYMENT).toBe(3);
    expect(cfg.settlement.spcBin).toHaveLength(12);
  });

  it('reads each from its variable', () => {
    const cfg = loadConfig({
      SPC_ARCHIVE_DIR: '/archive', SPC_PG_PORT: '5499', SPC_RETENTION_DAYS: '90', TEMPORAL_CLI_PATH: '/opt/temporal', SPC_OPERATOR: ' alice ',
      SPC_COMPLAINT_DEADLINES: 'DUPLICATE_PAYMENT=2', PATH: ['/a', '', '/b'].join(path.delimiter),
    });
    expect([cfg.archiveDir, cfg.embeddedPgPort, cfg.temporalRetentionDays, cfg.temporalCliPath, cfg.operator]).toEqual(['/archive', 5499, 90, '/opt/temporal', 'alice']);
    expect(cfg.complaintDeadlines.DUPLICATE_PAYMENT).toBe(2);
    expect(cfg.executableDirs).toEqual(['/a', '/b']);
  });

  it('refuses values that cannot be used, naming the variable', () => {
    expect(() => loadConfig({ SPC_PG_PORT: '0' })).toThrow(/SPC_PG_PORT=0 is not a TCP port/);
    expect(() => loadConfig({ SPC_COMPLAINT_DEADLINES: 'DUPLICATE_PAYMENT=99' })).toThrow(/SPC_COMPLAINT_DEADLINES/);
    expect(() => loadConfig({ SPC_BIN: '123' })).toThrow(/SPC_BIN/);
  });
});

describe('process settings', () => {
  it('defaults to the dev server, no health port and a 30 s shutdown grace', () => {
    const cfg = loadConfig({});
    expect([cfg.engine, cfg.process]).toEqual(['dev', { healthPort: undefined, healthHost: '127.0.0.1', shutdownGraceMs: 30_000 }]);
  });

  it('reads the engine, health port and grace, and refuses values that are not', () => {
    const cfg = loadConfig({ SPC_TEMPORAL_ENGINE: 'server', SPC_HEALTH_PORT: '9464', SPC_SHUTDOWN_GRACE_MS: '5000' });
    expect([cfg.engine, cfg.process.healthPort, cfg.process.shutdownGraceMs]).toEqual(['server', 9464, 5000]);
    expect(() => loadConfig({ SPC_TEMPORAL_ENGINE: 'cloud' })).toThrow(/SPC_TEMPORAL_ENGINE=cloud must be one of dev, server/);
    expect(() => loadConfig({ SPC_HEALTH_PORT: '70000' })).toThrow(/SPC_HEALTH_PORT=70000 is not a port/);
    expect(() => loadConfig({ SPC_SHUTDOWN_GRACE_MS: 'soon' })).toThrow(/SPC_SHUTDOWN_GRACE_MS=soon/);
  });
});

describe('access settings', () => {
  it('defaults to no app role URL, one-minute session bounds and generous rate limits', () => {
    const cfg = loadConfig({});
    expect([cfg.appDatabaseUrl, cfg.dbTimeouts, cfg.rateLimit]).toEqual([
      undefined,
      { statementTimeoutMs: 60_000, idleInTransactionTimeoutMs: 60_000 },
      { perKeyPerMinute: 30_000, anonymousPerMinute: 600 },
    ]);
  });

  it('reads them, and refuses a bound or limit that is not a positive whole number', () => {
    const cfg = loadConfig({
      SPC_APP_DATABASE_URL: 'postgres://spc_app@db/spc', SPC_DB_STATEMENT_TIMEOUT_MS: '30000', SPC_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '10000',
      SPC_RATE_LIMIT_PER_MINUTE: '120', SPC_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '10',
    });
    expect([cfg.appDatabaseUrl, cfg.dbTimeouts, cfg.rateLimit]).toEqual([
      'postgres://spc_app@db/spc', { statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 10_000 }, { perKeyPerMinute: 120, anonymousPerMinute: 10 },
    ]);
    expect([cfg.apiDatabaseUrl, cfg.workerDatabaseUrl]).toEqual(['postgres://spc_app@db/spc', 'postgres://spc_app@db/spc']);
    const own = loadConfig({ SPC_APP_DATABASE_URL: 'postgres://spc_app@db/spc', SPC_API_DATABASE_URL: 'postgres://spc_api@db/spc', SPC_WORKER_DATABASE_URL: 'postgres://spc_worker@db/spc' });
    expect([own.apiDatabaseUrl, own.workerDatabaseUrl]).toEqual(['postgres://spc_api@db/spc', 'postgres://spc_worker@db/spc']);
    expect(() => loadConfig({ SPC_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/SPC_RATE_LIMIT_PER_MINUTE=0 must be a whole number of requests per minute \(at least 1\)/);
    expect(() => loadConfig({ SPC_DB_STATEMENT_TIMEOUT_MS: '1.5' })).toThrow(/SPC_DB_STATEMENT_TIMEOUT_MS=1.5/);
  });
});

describe('retentionDaysFromEnv', () => {
  it('defaults to 30 days', () => {
    expect(retentionDaysFromEnv({})).toBe(30);
  });

  it('rejects a retention that is not a whole number of days from 1 to 3650', () => {
    expect(() => retentionDaysFromEnv({ SPC_RETENTION_DAYS: '0' })).toThrow(/SPC_RETENTION_DAYS=0/);
    expect(() => retentionDaysFromEnv({ SPC_RETENTION_DAYS: '1.5' })).toThrow(/whole number/);
    expect(retentionDaysFromEnv({ SPC_RETENTION_DAYS: '90' })).toBe(90);
  });
});

describe('devServerArgs', () => {
  it('keeps a durable server in WAL mode, with its UI, search attributes and dynamic config', () => {
    const args = devServerArgs({ dbFile: '/d/temporal.db', port: 7233, uiPort: 8233, namespace: 'spc' }).join(' ');
    expect(args).toContain('--db-filename /d/temporal.db --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=OFF');
    expect(args).toContain('--ip 127.0.0.1 --port 7233');
    expect(args).toContain('--ui-port 8233');
    expect(args).toContain('--namespace spc');
    for (const name of SPC_SEARCH_ATTRIBUTES) expect(args).toContain(`--search-attribute ${name}=Keyword`);
    expect(args).toContain('--dynamic-config-value frontend.enableExecuteMultiOperation=true');
    expect(args.match(/--dynamic-config-value/g)).toHaveLength(Object.keys(DEV_SERVER_DYNAMIC_CONFIG).length);
  });

  it('runs an in-memory server headless and does not repeat the default namespace', () => {
    const args = devServerArgs({ port: 7300, uiPort: null, namespace: 'default' });
    expect(args).toContain('--headless');
    expect(args).not.toContain('--db-filename');
    expect(args).not.toContain('--sqlite-pragma');
    expect(args).not.toContain('--namespace');
  });

  it('hands the UI its codec endpoint, and a headless server none', () => {
    const endpoint = 'http://127.0.0.1:3000/codec/ui';
    expect(devServerArgs({ port: 7233, uiPort: 8233, namespace: 'default', uiCodecEndpoint: endpoint }).join(' ')).toContain(`--ui-codec-endpoint ${endpoint}`);
    expect(devServerArgs({ port: 7233, uiPort: null, namespace: 'default', uiCodecEndpoint: endpoint })).not.toContain('--ui-codec-endpoint');
  });
});

describe('SPC_LOG_LEVEL', () => {
  it('defaults to info and refuses an unknown level', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ SPC_LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(() => loadConfig({ SPC_LOG_LEVEL: 'verbose' })).toThrow(/SPC_LOG_LEVEL=verbose must be one of trace, debug, info, warn, error, silent/);
  });
});

describe('the provider push settings', () => {
  it('bounds the push body at 8 MiB by default, reads PROVIDER_PUSH_BODY_BYTES_MAX, and refuses a bound below 1 KiB', () => {
    expect(loadConfig({}).providerPush).toEqual({ bodyBytesMax: 8 * 1024 * 1024, publicUrl: 'http://127.0.0.1:3000' });
    expect(loadConfig({ PROVIDER_PUSH_BODY_BYTES_MAX: '2048', SPC_PUBLIC_URL: 'https://spc.example/' }).providerPush).toEqual({ bodyBytesMax: 2048, publicUrl: 'https://spc.example' });
    expect(() => loadConfig({ PROVIDER_PUSH_BODY_BYTES_MAX: '100' })).toThrow(/PROVIDER_PUSH_BODY_BYTES_MAX=100 must be a whole number of bytes \(at least 1024\)/);
  });
});
