// Exports workflow histories as JSON files, one per run, in the format `temporal workflow show
// --output json` writes ({"events": [...]}, proto3 JSON), with a manifest.json that lists each
// file's workflow id, run id, type, status, close time and SHA-256. The files replay with
// `spc audit replay --dir` and with any Temporal SDK's replayer; the manifest lets an auditor
// prove later that a file is the one exported.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { historyToJson } from './history-json';
import { kindOfType } from './query';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT_VERSION = 1;
/** Histories fetched at once: enough to hide round trips, few enough not to crowd a busy frontend. */
export const EXPORT_CONCURRENCY = 8;
/** Most workflows one export writes; a larger selection is a query mistake, or wants several exports. */
export const EXPORT_WORKFLOWS_MAX = 1_000_000;

export interface ManifestEntry {
  /** Path of the history file, relative to the manifest, with forward slashes. */
  file: string;
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string | null;
  closeTime: string | null;
  events: number;
  sha256: string;
}

export interface Manifest {
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  exportedAt: string;
  namespace: string;
  /** The visibility query that selected the workflows, or null when they were named one by one. */
  query: string | null;
  count: number;
  workflows: ManifestEntry[];
}

export interface RunRef {
  workflowId: string;
  /** Omitted: the latest run. */
  runId?: string;
}

export interface ExportOptions {
  outDir: string;
  /** Visibility query selecting the workflows (audit/query.ts builds one). */
  query?: string;
  /** Runs named directly: found even before visibility has caught up, or after it lost them. */
  runs?: RunRef[];
  limit?: number;
  onWorkflow?: (entry: ManifestEntry) => void;
}

/** Thrown when an export cannot write where it was asked to, or selects more than it may. */
export class ExportError extends Error {
  override name = 'CliError';
}

/** A file name that keeps the workflow id readable: business keys use ':' and '/', which files cannot. */
export function historyFileName(workflowId: string, runId: string): string {
  return `${workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}__${runId}.json`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function iso(value: Date | undefined | null): string | null {
  return value ? value.toISOString() : null;
}

interface RunInfo {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: Date | null;
  closeTime: Date | null;
}

function fromListed(w: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'type' | 'status' | 'startTime' | 'closeTime'>): RunInfo {
  return { workflowId: w.workflowId, runId: w.runId, type: w.type, status: w.status.name, startTime: w.startTime, closeTime: w.closeTime ?? null };
}

async function describeRun(client: Client, ref: RunRef): Promise<RunInfo | undefined> {
  try {
    const d = await client.workflow.getHandle(ref.workflowId, ref.runId).describe();
    return fromListed(d);
  } catch (err) {
    if ((err as Error)?.name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** Runs with at most `limit` promises in flight, preserving nothing but completion. */
async function forEachLimited<T>(items: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for await (const item of items) {
    if (failure) break;
    const p: Promise<void> = fn(item).then(
      () => void inFlight.delete(p),
      (err) => {
        inFlight.delete(p);
        failure ??= err;
      },
    );
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
}

/**
 * Exports the histories of the workflows a query selects and/or the runs named, into outDir
 * (created if missing): `<outDir>/<kind>/<file>.json` plus `<outDir>/manifest.json`. A run found
 * both ways is written once. Returns the manifest it wrote.
 */
export async function exportHistories(client: Client, opts: ExportOptions): Promise<Manifest> {
  const limit = opts.limit ?? EXPORT_WORKFLOWS_MAX;
  if (!opts.query && !opts.runs?.length) throw new ExportError('nothing to export: give a query or at least one workflow id');
  try {
    fs.mkdirSync(opts.outDir, { recursive: true });
  } catch (err) {
    throw new ExportError(`cannot create the export directory ${opts.outDir}: ${(err as Error).message}`);
  }

  const seen = new Set<string>();
  const entries: ManifestEntry[] = [];
  const exportOne = async (run: RunInfo): Promise<void> => {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const json = `${historyToJson(history)}\n`;
    const kind = kindOfType(run.type) ?? 'other';
    const rel = `${kind}/${historyFileName(run.workflowId, run.runId)}`;
    const target = path.join(opts.outDir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // Write then rename: an interrupted export never leaves a half file under the final name.
    fs.writeFileSync(`${target}.part`, json);
    fs.renameSync(`${target}.part`, target);
    const entry: ManifestEntry = {
      file: rel,
      workflowId: run.workflowId,
      runId: run.runId,
      type: run.type,
      status: run.status,
      startTime: iso(run.startTime),
      closeTime: iso(run.closeTime),
      events: history.events?.length ?? 0,
      sha256: sha256Hex(json),
    };
    entries.push(entry);
    opts.onWorkflow?.(entry);
  };

  const claim = (run: RunInfo): boolean => {
    const key = `${run.workflowId}\u0000${run.runId}`;
    if (seen.has(key)) return false;
    if (seen.size >= limit) throw new ExportError(`the selection has more than ${limit} workflows: narrow it (--bank, --from/--to) or raise --limit`);
    seen.add(key);
    return true;
  };

  async function* selected(): AsyncIterable<RunInfo> {
    for (const ref of opts.runs ?? []) {
      const run = await describeRun(client, ref);
      if (run && claim(run)) yield run;
    }
    if (opts.query) {
      for await (const w of client.workflow.list({ query: opts.query })) {
        const run = fromListed(w);
        if (claim(run)) yield run;
      }
    }
  }

  await forEachLimited(selected(), EXPORT_CONCURRENCY, exportOne);
  entries.sort((a, b) => a.file.localeCompare(b.file));
  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    namespace: client.options.namespace,
    query: opts.query ?? null,
    count: entries.length,
    workflows: entries,
  };
  fs.writeFileSync(path.join(opts.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
