// One bank's register of a day (id `register:<BANK>:<sha256-prefix>`): the rows were checked and
// stored by the API when the file arrived (register_rows); this workflow submits them as payments
// in chunks, each chunk one heartbeating activity with bounded concurrency, then marks the
// register done. The file's hash in the id makes the same file one register, however often sent.
//
// Progress lives in Postgres (registers.rows_done, register_rows.status), written by the
// activities as they go, so a bank polling GET /v1/registers/{id} sees it move and the history
// stays small: one activity per REGISTER_CHUNK_ROWS rows.
import { proxyActivities } from '@temporalio/workflow';
import type { RegisterActivities } from '../activities/register';
import { retryPolicy } from './retry';

export interface RegisterWorkflowInput {
  registerId: string;
  bankCode: string;
}

export interface RegisterSummary {
  registerId: string;
  rowCount: number;
  rowsAccepted: number;
  rowsRejected: number;
}

/** Rows per activity: a few tens of seconds of work at the engine's speed. */
export const REGISTER_CHUNK_ROWS = 5_000;

const { processRegisterChunk, finishRegister } = proxyActivities<RegisterActivities>({
  // A chunk submits REGISTER_CHUNK_ROWS payments; if the engine is slow it may take long, and the
  // heartbeat, not this timeout, is what detects a dead worker.
  startToCloseTimeout: '2h',
  heartbeatTimeout: '60s',
  retry: retryPolicy,
});

export function registerWorkflowId(registerId: string): string {
  return `register:${registerId}`;
}

export async function registerWorkflow(input: RegisterWorkflowInput): Promise<RegisterSummary> {
  let afterLine = 0;
  for (;;) {
    const chunk = await processRegisterChunk({ registerId: input.registerId, afterLine, limit: REGISTER_CHUNK_ROWS });
    if (!chunk.more) break;
    afterLine = chunk.lastLine;
  }
  return finishRegister({ registerId: input.registerId });
}
