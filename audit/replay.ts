// Replays recorded workflow histories against workflow code (by default the current bundle of
// worker/worker.ts) with Worker.runReplayHistories. A nondeterminism means the code no longer
// reproduces what it did when the history was written: deploying it would break running
// workflows, and an auditor could no longer re-derive a past decision from its history.
// Sources: a directory of JSON histories (ours, with a manifest, or `temporal workflow show
// --output json` files), or histories fetched from Temporal.
import fs from 'node:fs';
import path from 'node:path';
import type { Client, DataConverter } from '@temporalio/client';
import { Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { quietBundlerLogger, workflowBundle } from '../worker/worker';
import { historyFromJson } from './history-json';
import { MANIFEST_FILE, sha256Hex, type Manifest, type ManifestEntry, type RunRef } from './export';

/** Largest history file read (a payment history is ~30 KB; 64 MB is far past any sane workflow). */
export const HISTORY_FILE_BYTES_MAX = 64 * 1024 * 1024;

export interface HistorySource {
  workflowId: string;
  runId?: string;
  type: string;
  /** Where it came from: a file path, or 'temporal'. */
  origin: string;
  /** Proto3 JSON ({"events": [...]}) or a History object from fetchHistory(). */
  history: unknown;
  /** Set when the history cannot be replayed at all (unreadable file, hash mismatch). */
  problem?: string;
}

export type ReplayVerdict = 'ok' | 'nondeterministic' | 'failed';

export interface ReplayOutcome {
  workflowId: string;
  runId: string;
  type: string;
  origin: string;
  verdict: ReplayVerdict;
  message?: string;
}

export interface ReplaySummary {
  total: number;
  ok: number;
  nondeterministic: number;
  failed: number;
  outcomes: ReplayOutcome[];
}

/** Thrown when a replay source cannot be read at all (missing directory, unreadable manifest). */
export class ReplaySourceError extends Error {
  override name = 'CliError';
}

interface StartedEvent {
  workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string }; workflowId?: string; originalExecutionRunId?: string };
}

function firstEvent(history: unknown): StartedEvent | undefined {
  const events = (history as { events?: unknown[] } | null)?.events;
  return Array.isArray(events) ? (events[0] as StartedEvent | undefined) : undefined;
}

/** Workflow type of a history (from its first event), or '?' when the history has none. */
export function historyType(history: unknown): string {
  return firstEvent(history)?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
}

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listJsonFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.json') && entry.name !== MANIFEST_FILE) out.push(full);
  }
  return out.sort();
}

function readManifest(dir: string): Map<string, ManifestEntry> | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (err) {
    throw new ReplaySourceError(`${file} is not valid JSON (${(err as Error).message}): restore it from the export, or remove it to replay the files without checking them`);
  }
  if (!Array.isArray(manifest.workflows)) throw new ReplaySourceError(`${file} has no "workflows" list: it is not a manifest written by spc audit export`);
  return new Map(manifest.workflows.map((e) => [path.resolve(dir, e.file), e]));
}

/**
 * Reads every *.json history under dir (recursively). When the directory has a manifest.json,
 * each listed file's SHA-256 is checked and a listed file that is missing is reported: an
 * export that was altered or cut short must not pass as replayed.
 */
export function historiesFromDir(dir: string): HistorySource[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ReplaySourceError(`${dir} is not a directory: give the --out directory of spc audit export, or a directory of temporal workflow show --output json files`);
  const manifest = readManifest(dir);
  const sources: HistorySource[] = [];
  for (const file of listJsonFiles(dir)) {
    const listed = manifest?.get(file);
    manifest?.delete(file);
    const fallbackId = path.basename(file, '.json');
    const base = { workflowId: listed?.workflowId ?? fallbackId, runId: listed?.runId, type: listed?.type ?? '?', origin: file };
    let text: string;
    try {
      if (fs.statSync(file).size > HISTORY_FILE_BYTES_MAX) {
        sources.push({ ...base, history: null, problem: `larger than ${HISTORY_FILE_BYTES_MAX} bytes` });
        continue;
      }
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      sources.push({ ...base, history: null, problem: `unreadable: ${(err as Error).message}` });
      continue;
    }
    if (listed && sha256Hex(text) !== listed.sha256) {
      sources.push({ ...base, history: null, problem: `SHA-256 differs from ${MANIFEST_FILE}: the file changed after the export` });
      continue;
    }
    let history: unknown;
    try {
      history = JSON.parse(text);
    } catch (err) {
      sources.push({ ...base, history: null, problem: `not JSON: ${(err as Error).message}` });
      continue;
    }
    if (!Array.isArray((history as { events?: unknown })?.events)) {
      sources.push({ ...base, history: null, problem: 'not a workflow history (no "events" list)' });
      continue;
    }
    const started = firstEvent(history)?.workflowExecutionStartedEventAttributes;
    sources.push({
      ...base,
      workflowId: listed?.workflowId ?? started?.workflowId ?? fallbackId,
      runId: listed?.runId ?? started?.originalExecutionRunId,
      type: historyType(history),
      history,
    });
  }
  for (const [file, entry] of manifest ?? []) {
    sources.push({ workflowId: entry.workflowId, runId: entry.runId, type: entry.type, origin: file, history: null, problem: `listed in ${MANIFEST_FILE} but missing` });
  }
  return sources;
}

/** Fetches the histories of the workflows a visibility query selects, and of the runs named. */
export async function* historiesFromTemporal(client: Client, opts: { query?: string; runs?: RunRef[] }): AsyncIterable<HistorySource> {
  for (const ref of opts.runs ?? []) {
    const handle = client.workflow.getHandle(ref.workflowId, ref.runId);
    let description: Awaited<ReturnType<typeof handle.describe>>;
    try {
      description = await handle.describe();
    } catch (err) {
      if ((err as Error)?.name !== 'WorkflowNotFoundError') throw err;
      yield { workflowId: ref.workflowId, runId: ref.runId, type: '?', origin: 'temporal', history: null, problem: 'no such workflow in Temporal (never started, or past the namespace retention: replay its archived export instead)' };
      continue;
    }
    const history = await client.workflow.getHandle(ref.workflowId, description.runId).fetchHistory();
    yield { workflowId: ref.workflowId, runId: description.runId, type: description.type, origin: 'temporal', history };
  }
  if (opts.query) {
    for await (const w of client.workflow.list({ query: opts.query })) {
      const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      yield { workflowId: w.workflowId, runId: w.runId, type: w.type, origin: 'temporal', history };
    }
  }
}


/**
 * Bundles other workflow sources (a branch about to be deployed, a test variant) to replay
 * against instead of the current code: "would this change break the histories we have?".
 */
export async function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleOption> {
  if (!fs.existsSync(workflowsPath)) throw new ReplaySourceError(`${workflowsPath} does not exist: give the module that exports the workflows (like workflows/index.ts)`);
  return bundleWorkflowCode({ workflowsPath: path.resolve(workflowsPath), logger: quietBundlerLogger });
}

export interface ReplayOptions {
  /** Workflow code to replay against; default: the SPC worker's bundle. */
  bundle?: WorkflowBundleOption;
  onOutcome?: (outcome: ReplayOutcome) => void;
  /**
   * The payload codec of the installation (temporalDataConverter): histories written with it hold
   * encrypted payloads that the replay must decrypt; older, unencrypted ones pass through.
   */
  dataConverter?: DataConverter;
}

/** JSON histories become History objects here, so one malformed file fails alone instead of stopping the replay worker. */
function toHistory(history: unknown): unknown {
  const first = (history as { events?: Array<{ eventId?: unknown }> }).events?.[0];
  if (!first) throw new Error('the history has no events');
  return typeof first.eventId === 'string' ? historyFromJson(history) : history;
}

function errorVerdict(err: Error | undefined): { verdict: ReplayVerdict; message?: string } {
  if (!err) return { verdict: 'ok' };
  const nondeterministic = err.name === 'DeterminismViolationError' || /nondeterminism/i.test(err.message);
  return { verdict: nondeterministic ? 'nondeterministic' : 'failed', message: err.message };
}

/**
 * Replays every history through one replay worker, in order, and returns one outcome each plus
 * counts. Sources with a problem (unreadable, altered) are reported as 'failed' without replaying.
 */
export async function replayHistories(sources: AsyncIterable<HistorySource> | Iterable<HistorySource>, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  const bundle = opts.bundle ?? (await workflowBundle());
  const outcomes: ReplayOutcome[] = [];
  const record = (o: ReplayOutcome) => {
    outcomes.push(o);
    opts.onOutcome?.(o);
  };

  // The replay worker takes histories one at a time and answers each before the next is read, so
  // we keep the source of the history in flight to label its result.
  const pending: HistorySource[] = [];
  async function* replayable(): AsyncIterable<{ workflowId: string; history: unknown }> {
    for await (const source of sources) {
      if (source.problem || source.history === null) {
        record({ workflowId: source.workflowId, runId: source.runId ?? '', type: source.type, origin: source.origin, verdict: 'failed', message: source.problem ?? 'no history' });
        continue;
      }
      let history: unknown;
      try {
        history = toHistory(source.history);
      } catch (err) {
        record({ workflowId: source.workflowId, runId: source.runId ?? '', type: source.type, origin: source.origin, verdict: 'failed', message: `not a readable history: ${(err as Error).message}` });
        continue;
      }
      pending.push(source);
      yield { workflowId: source.workflowId, history };
    }
  }

  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'spc-audit-replay', dataConverter: opts.dataConverter }, replayable())) {
    const source = pending.shift();
    record({
      workflowId: result.workflowId,
      runId: result.runId || source?.runId || '',
      type: source?.type ?? '?',
      origin: source?.origin ?? '?',
      ...errorVerdict(result.error),
    });
  }
  return {
    total: outcomes.length,
    ok: outcomes.filter((o) => o.verdict === 'ok').length,
    nondeterministic: outcomes.filter((o) => o.verdict === 'nondeterministic').length,
    failed: outcomes.filter((o) => o.verdict === 'failed').length,
    outcomes,
  };
}
