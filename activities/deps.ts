// What activities need from the outside world, passed in by the worker (and by tests, with a real
// knex on a test database).
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { ReferenceCache } from './reference-cache';
import { activityMetrics, type ActivityMetrics } from '../infra/metrics';

export interface ActivityDeps {
  db: Db;
  /** Wall clock; tests may pin it. */
  clock: () => Date;
  reference: ReferenceCache;
  /** A Temporal client, for activities that start or query workflows; absent in pure DB tests. */
  temporal?: { client: Client; taskQueue: string };
  /** What activities count (infra/metrics.ts), served on the worker's /metrics; default the process's registry. */
  metrics: ActivityMetrics;
}

export function makeDeps(
  db: Db,
  opts: { clock?: () => Date; referenceTtlMs?: number; temporal?: ActivityDeps['temporal']; metrics?: ActivityMetrics } = {},
): ActivityDeps {
  return {
    db, clock: opts.clock ?? (() => new Date()), reference: new ReferenceCache(db, opts.referenceTtlMs), temporal: opts.temporal, metrics: opts.metrics ?? activityMetrics,
  };
}
