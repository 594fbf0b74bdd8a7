// SPC processes for benchmarks and fault tests: each worker (and the API) in its own OS process,
// as production runs them, so the load generator's CPU is not the worker's and a SIGKILL is real.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
/** Bundling the workflow code takes a few seconds; a loaded 2-core machine (load 25 seen) takes minutes. */
export const PROCESS_READY_TIMEOUT_MS = 300_000;
const OUTPUT_TAIL_CHARS = 4_000;

export interface SpcProcess {
  child: ChildProcess;
  pid: number;
  /** SIGKILL: no shutdown, no last heartbeat, connections dropped mid-transaction. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  output(): string;
}

export interface SpcProcessOptions {
  /** Arguments after `node`: a script and its arguments. */
  args: string[];
  env: Record<string, string>;
  /** A line of its output that says it is ready. */
  readyText: string;
}

export async function startSpcProcess(opts: SpcProcessOptions): Promise<SpcProcess> {
  // A child process inherits the environment (PATH, HOME, proxies); nothing is read from it here.
  // eslint-disable-next-line no-restricted-properties
  const child = spawn(process.execPath, opts.args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${opts.args.join(' ')} not ready after ${PROCESS_READY_TIMEOUT_MS} ms: ${output}`)), PROCESS_READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
      if (output.includes(opts.readyText)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`process ${opts.args.join(' ')} exited (${code ?? signal}) before it was ready: ${output}`));
    });
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { child, pid: child.pid as number, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM'), output: () => output };
}

export interface Endpoints {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** More of Temporal's settings (mTLS files of a real server), as infra/config.ts reads them. */
  temporalEnv?: Record<string, string>;
}

function endpointEnv(e: Endpoints): Record<string, string> {
  // A benchmark's scratch stack is a development run: its processes may connect as the owner.
  return { ...e.temporalEnv, SPC_DEV: '1', DATABASE_URL: e.databaseUrl, TEMPORAL_ADDRESS: e.temporalAddress, SPC_TASK_QUEUE: e.taskQueue };
}

/** `spc worker`: the production worker. */
export function startWorkerProcess(e: Endpoints, env: Record<string, string> = {}): Promise<SpcProcess> {
  return startSpcProcess({ args: [path.join(ROOT, 'bin/spc.js'), 'worker'], env: { ...endpointEnv(e), ...env }, readyText: 'worker polling task queue' });
}

/** The bench's worker: the production worker plus the ceiling workflow (bench/worker-main.ts). */
export function startBenchWorkerProcess(e: Endpoints): Promise<SpcProcess> {
  return startSpcProcess({ args: ['-r', 'tsx/cjs', path.join(ROOT, 'bench/worker-main.ts')], env: endpointEnv(e), readyText: 'bench worker polling' });
}

/** `spc api` on a given port. */
export function startApiProcess(e: Endpoints, port: number, env: Record<string, string> = {}): Promise<SpcProcess> {
  return startSpcProcess({
    args: [path.join(ROOT, 'bin/spc.js'), 'api', '--port', String(port), '--host', '127.0.0.1'],
    env: { ...endpointEnv(e), ...env },
    readyText: 'bank API on',
  });
}
