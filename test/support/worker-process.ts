// A worker in its own OS process (`spc worker`), for tests that kill it with SIGKILL: the only way
// to prove that work in flight on a dead worker is neither lost nor done twice.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testTemporalAddress } from './env';

const SPC_BIN = path.resolve(__dirname, '../../bin/spc.js');
/** Bundling the workflow code takes a few seconds; a loaded 2-core machine may take much longer. */
const WORKER_READY_TIMEOUT_MS = 120_000;

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL: no shutdown, no last heartbeat, connections dropped mid-transaction. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * `spc worker` on the test stack: as the restricted role when `appDatabaseUrl` is given, else as the
 * owner, which the fail-closed start allows only for a development run (SPC_DEV=1).
 */
export async function startWorkerProcess(opts: { databaseUrl: string; appDatabaseUrl?: string; taskQueue: string; env?: Record<string, string> }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [SPC_BIN, 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      SPC_TASK_QUEUE: opts.taskQueue,
      ...(opts.appDatabaseUrl ? { SPC_APP_DATABASE_URL: opts.appDatabaseUrl } : { SPC_DEV: '1' }),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready after ${WORKER_READY_TIMEOUT_MS} ms: ${output.slice(-2000)}`)), WORKER_READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker polling task queue')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before it was ready: ${output.slice(-2000)}`));
    });
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { child, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}
