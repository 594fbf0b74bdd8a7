// Runs `spc` as separate OS processes for the cluster test: long-running ones (worker, api) that
// the test can probe, SIGTERM or SIGKILL, and one-shot commands (settle, audit) awaited to their end.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../infra/config';
import { waitFor } from '../support/wait';

const SPC_BIN = path.join(PROJECT_ROOT, 'bin', 'spc.js');
/** A process start includes tsx and, for a worker, bundling the workflows: slow on a loaded 2-core box. */
export const PROCESS_READY_TIMEOUT_MS = 240_000;
const PROBE_TIMEOUT_MS = 2_000;

export interface SpcProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

export function startSpc(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): SpcProcess {
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [SPC_BIN, ...args], { env, stdio: ['ignore', fd, fd], cwd: PROJECT_ROOT });
  fs.closeSync(fd);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { name, child, logFile, exited };
}

export function logTail(p: SpcProcess, chars = 3_000): string {
  try {
    return fs.readFileSync(p.logFile, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** Waits until url/readyz answers 200; fails early with the log tail if the process dies. */
export async function waitReady(p: SpcProcess, baseUrl: string): Promise<void> {
  await waitFor(
    `${p.name} ready at ${baseUrl}/readyz`,
    async () => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${logTail(p)}`);
      try {
        const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        return res.status === 200;
      } catch {
        return false;
      }
    },
    PROCESS_READY_TIMEOUT_MS,
    500,
  );
}

/** Runs a one-shot `spc` command to its end and returns its exit code and output. */
export async function runSpc(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SPC_BIN, ...args], { env, cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** SIGTERM, then SIGKILL if it has not ended within graceMs; resolves with how it ended. */
export async function stopSpc(p: SpcProcess, graceMs: number): Promise<number | string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}
