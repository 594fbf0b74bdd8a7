// The Temporal half of the ledger audit (`spc audit ledger --temporal`): rows and workflow runs
// must point at each other. Every payment row names the run that wrote it, and that run must exist;
// every completed payment workflow must have left its payment row, every failed one its rejection.
// Past the namespace retention Temporal forgets closed runs: audit within it, or archive first.
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { almatyToUtc, addDays } from '../domain/calendar';
import type { LedgerBreach, LedgerScope } from './ledger';
import { BREACHES_PER_CHECK_MAX } from './ledger';
import { WORKFLOW_TYPES } from './query';

/** describe() calls in flight at once. */
export const DESCRIBE_CONCURRENCY = 16;
const GRPC_INVALID_ARGUMENT = 3;

async function mapLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}

/** 'ok', 'missing' (Temporal has no such run), or 'invalid' (the run id is not one Temporal could have issued). */
async function runState(client: Client, workflowId: string, runId: string): Promise<'ok' | 'missing' | 'invalid'> {
  try {
    await client.workflow.getHandle(workflowId, runId).describe();
    return 'ok';
  } catch (err) {
    if ((err as Error)?.name === 'WorkflowNotFoundError') return 'missing';
    // gRPC INVALID_ARGUMENT: the frontend refuses a run id that is not a UUID.
    if ((err as { cause?: { code?: number } })?.cause?.code === GRPC_INVALID_ARGUMENT) return 'invalid';
    throw err;
  }
}

export function temporalChecks(client: Client): (db: Knex, scope: LedgerScope) => Promise<LedgerBreach[]> {
  return async (db, scope) => {
    const breaches: LedgerBreach[] = [];

    const q = db('payments').select('id', 'bank_code', 'bank_ref', 'business_date', 'workflow_id', 'run_id').orderBy('id');
    if (scope.date) q.where('business_date', scope.date);
    if (scope.bank) q.where('bank_code', scope.bank);
    const payments = (await q) as Array<{ id: string; bank_code: string; bank_ref: string; business_date: string; workflow_id: string; run_id: string }>;
    await mapLimited(payments, DESCRIBE_CONCURRENCY, async (p) => {
      if (breaches.length >= BREACHES_PER_CHECK_MAX) return;
      const state = await runState(client, p.workflow_id, p.run_id);
      if (state === 'ok') return;
      breaches.push({
        check: 'workflow_exists',
        subject: `payment ${p.id} ${p.bank_code}/${p.bank_ref} (${p.business_date})`,
        detail: state === 'invalid'
          ? `run id ${JSON.stringify(p.run_id)} of workflow ${p.workflow_id} is not a Temporal run id`
          : `Temporal has no run ${p.run_id} of workflow ${p.workflow_id} (never existed, or past retention: see its archive)`,
        keys: { payment_id: p.id, workflow_id: p.workflow_id, run_id: p.run_id },
      });
    });

    const base = [`WorkflowType = '${WORKFLOW_TYPES.payment}'`];
    if (scope.bank) base.push(`BankCode = '${scope.bank}'`);
    const completed = [...base, `ExecutionStatus = 'Completed'`];
    if (scope.date) completed.push(`BusinessDate = '${scope.date}'`);
    // A rejected payment never gets a BusinessDate: it is scoped by when it failed, in Almaty.
    const failed = [...base, `ExecutionStatus = 'Failed'`];
    if (scope.date) {
      failed.push(`CloseTime >= '${almatyToUtc(scope.date, '00:00').toISOString()}'`, `CloseTime < '${almatyToUtc(addDays(scope.date, 1), '00:00').toISOString()}'`);
    }
    for (const [query, table, what] of [
      [completed.join(' AND '), 'payments', 'payment row'],
      [failed.join(' AND '), 'payment_rejections', 'rejection row'],
    ] as const) {
      for await (const w of client.workflow.list({ query })) {
        if (breaches.length >= 2 * BREACHES_PER_CHECK_MAX) break;
        const row = await db(table).where({ workflow_id: w.workflowId, run_id: w.runId }).first('id');
        if (row) continue;
        breaches.push({
          check: 'workflow_has_record',
          subject: `workflow ${w.workflowId} run ${w.runId} (${w.status.name})`,
          detail: `has no ${what} in ${table}`,
          keys: { workflow_id: w.workflowId, run_id: w.runId },
        });
      }
    }
    return breaches;
  };
}
