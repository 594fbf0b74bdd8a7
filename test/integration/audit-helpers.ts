// Helpers shared by the audit, ops and replay integration tests: waiting, business dates that no
// other test file uses, settling a day end to end, and running the real `spc` command.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confirmTransfers, getSettlementState, startSettlement, type SettlementState } from '../../client/settlements';
import { PROJECT_ROOT } from '../../infra/config';
import type { Harness } from '../support/harness';
import { weekdaysFrom } from '../support/past-days';
import { waitFor as waitForShared } from '../support/wait';

export const WAIT_MS = 120_000;
const POLL_MS = 200;

export function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = WAIT_MS): Promise<T> {
  return waitForShared(what, probe, timeoutMs, POLL_MS);
}
/** One `spc` run: tsx compiles on the fly, and a replay bundles the workflows (tens of seconds on 2 busy cores). */
export const CLI_TIMEOUT_MS = 180_000;


/**
 * A random weekday of `year`, distinct within this process: the settlement tests draw from 2025 and
 * the payment tests use today, so each audit file takes a year of its own before 2025 (ledger 2023,
 * export 2022, ops 2021, recording 2020).
 */
export function auditWeekday(year: number): string {
  return weekdaysFrom(`${year}-01-04`, 360)();
}

export function uniqueTag(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Settles a bank-day end to end: start, wait for the payment list, confirm every transfer, wait for 'settled'. */
export async function settleDay(h: Harness, bank: string, date: string): Promise<SettlementState> {
  await startSettlement(h.ctx, bank, date, { operator: 'auditor-test' });
  const ready = await waitFor(`settlement ${bank}:${date} delivered`, async () => {
    const s = await getSettlementState(h.ctx, bank, date);
    return s && ['delivered', 'settled'].includes(s.status) ? s : undefined;
  });
  if (ready.status === 'settled') return ready;
  const confirmed = await confirmTransfers(h.ctx, bank, date, { transferRef: `TR-${bank}-${date}` });
  if (!confirmed.ok) throw new Error(`confirmation refused: ${confirmed.code} ${confirmed.message}`);
  return waitFor(`settlement ${bank}:${date} settled`, async () => {
    const s = await getSettlementState(h.ctx, bank, date);
    return s?.status === 'settled' ? s : undefined;
  });
}

/** Drops unset variables: `{ SPC_OPERATOR: undefined }` means "not set" for the child, not the text "undefined". */
function childEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/spc.js <args>` against the test stack: the harness's database, Temporal and task queue. */
export function runSpc(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-cli-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/spc.js'), ...args], {
      cwd: PROJECT_ROOT,
      // A data dir and a config dir of its own: the CLI never picks up a runtime.json of a developer's
      // `spc up`, nor anyone's operator token file; nor their SPC_OPERATOR_TOKEN (a test gives its own).
      env: childEnv({ ...process.env, SPC_OPERATOR_TOKEN: undefined, SPC_OPERATOR_TOKEN_FILE: undefined, SPC_DATA_DIR: dataDir, XDG_CONFIG_HOME: dataDir, TEMPORAL_NAMESPACE: 'default', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

/** The env that points `spc` at a harness. */
export function harnessEnv(h: Harness): Record<string, string> {
  return { DATABASE_URL: h.database.url, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS as string, SPC_TASK_QUEUE: h.taskQueue };
}
