// Finds the Temporal CLI (which contains the dev server), building it from source with Go when it is
// missing: the machines this runs on reach the Go module proxy but not Temporal's download site.
// scripts/ensure-temporal.sh does the same in bash and shares the lock protocol below, so a CI run and
// `spc up` never build twice at once.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SpcConfig } from './config';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** A cold build (module download plus compile) takes 7-12 minutes on a 2-core box. */
export const TEMPORAL_BUILD_TIMEOUT_MS = 45 * 60_000;
const LOCK_POLL_MS = 2_000;
/** A lock directory without a pid file older than this is left over from a crash. */
const LOCK_PID_GRACE_MS = 30_000;

/** Thrown when no Temporal CLI is installed and none can be built (no Go toolchain, or the build failed). */
export class TemporalCliNotFoundError extends Error {
  constructor(message: string, readonly buildLog?: string) {
    super(message);
    this.name = 'TemporalCliNotFoundError';
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(dirs: string[], name: string): string | undefined {
  for (const dir of dirs) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function findGo(dirs: string[]): string | undefined {
  return onPath(dirs, 'go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The build lock is a directory (mkdir is atomic, and bash can take it too) holding the builder's pid.
 * Returns a release function once this process holds it; while another live process holds it, waits.
 */
async function acquireBuildLock(lockDir: string, log: (msg: string) => void): Promise<() => void> {
  let announced = false;
  const deadline = Date.now() + TEMPORAL_BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: number | undefined;
    try {
      holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8').trim()) || undefined;
    } catch {
      holder = undefined;
    }
    const lockAgeMs = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    const stale = holder !== undefined ? !pidAlive(holder) : lockAgeMs > LOCK_PID_GRACE_MS;
    if (stale) {
      log(`removing a stale Temporal build lock ${lockDir} (pid ${holder ?? 'unknown'} is gone)`);
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      log(`another process (pid ${holder ?? 'unknown'}) is building the Temporal CLI; waiting for it`);
      announced = true;
    }
    if (Date.now() > deadline) throw new TemporalCliNotFoundError(`gave up waiting for the Temporal CLI build holding ${lockDir}`);
    await sleep(LOCK_POLL_MS);
  }
}

/** Runs `go install` into stagingDir, streaming its progress lines to log; resolves with the exit code and output. */
function goInstall(go: string, stagingDir: string, extraEnv: NodeJS.ProcessEnv, log: (msg: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      // A child process inherits the environment (PATH, HOME, proxies); nothing is read from it here.
      // eslint-disable-next-line no-restricted-properties
      env: { ...process.env, ...extraEnv, GOBIN: stagingDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) log(`go: ${line.replace(/^go: /, '')}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), TEMPORAL_BUILD_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending.trim()) log(`go: ${pending}`);
      resolve({ code: code ?? 1, output });
    });
  });
}

async function buildTemporalCli(go: string, binDir: string, log: (msg: string) => void): Promise<string> {
  const target = path.join(binDir, 'temporal');
  // go install writes the binary in place; building into a staging directory and renaming makes the
  // finished binary appear atomically, so a concurrent reader never runs a half-written file.
  const stagingDir = fs.mkdtempSync(path.join(binDir, '.build-'));
  try {
    log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with ${go} (one-time; 5-15 minutes)`);
    const startedAt = Date.now();
    let result = await goInstall(go, stagingDir, {}, log);
    if (result.code !== 0 && /sum\.golang\.org|checksum database/i.test(result.output)) {
      log('the Go checksum database is unreachable; retrying once with GOSUMDB=off (modules still come from the module proxy)');
      result = await goInstall(go, stagingDir, { GOSUMDB: 'off' }, log);
    }
    const built = path.join(stagingDir, 'temporal');
    if (result.code !== 0 || !isExecutable(built)) {
      throw new TemporalCliNotFoundError(
        `building the Temporal CLI failed (go install exit ${result.code}). Install it yourself ` +
          `(https://docs.temporal.io/cli) and set TEMPORAL_CLI_PATH, or point TEMPORAL_ADDRESS at a running server.`,
        result.output.slice(-4000),
      );
    }
    fs.renameSync(built, target);
    log(`built ${target} in ${Math.round((Date.now() - startedAt) / 1000)} s`);
    return target;
  } finally {
    fs.rmSync(stagingDir, { recursive: true, force: true });
  }
}

/** Logs the CLI's version line, so a run's output says which server it used. */
function describeBinary(binary: string): string {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return (result.stdout ?? '').trim() || 'version unknown';
}

/**
 * Path of a Temporal CLI, in this order: TEMPORAL_CLI_PATH, `temporal` on PATH, <cacheDir>/bin/temporal,
 * else a fresh `go install` into <cacheDir>/bin. Throws TemporalCliNotFoundError when none is possible.
 */
export async function findTemporalCli(cfg: SpcConfig, log: (msg: string) => void): Promise<string> {
  const fromEnv = cfg.temporalCliPath;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new TemporalCliNotFoundError(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file; fix or unset it.`);
    return fromEnv;
  }
  const fromPath = onPath(cfg.executableDirs, 'temporal');
  if (fromPath) return fromPath;

  const binDir = path.join(cfg.cacheDir, 'bin');
  const cached = path.join(binDir, 'temporal');
  const lockDir = path.join(binDir, '.temporal-build.lock');
  if (isExecutable(cached) && !fs.existsSync(lockDir)) return cached;

  const go = findGo(cfg.executableDirs);
  if (!go && !fs.existsSync(lockDir)) {
    throw new TemporalCliNotFoundError(
      'no Temporal CLI found (TEMPORAL_CLI_PATH, PATH, ' + cached + ') and no Go toolchain to build one. ' +
        'Install the CLI (https://docs.temporal.io/cli) or Go >= 1.24, or set TEMPORAL_ADDRESS to a running server.',
    );
  }
  fs.mkdirSync(binDir, { recursive: true });
  const release = await acquireBuildLock(lockDir, log);
  try {
    // Whoever held the lock before us may have just finished the build.
    if (isExecutable(cached)) return cached;
    if (!go) throw new TemporalCliNotFoundError(`the Temporal CLI build by another process did not produce ${cached}, and there is no Go toolchain here to retry.`);
    const built = await buildTemporalCli(go, binDir, log);
    log(`Temporal CLI: ${describeBinary(built)}`);
    return built;
  } finally {
    release();
  }
}
