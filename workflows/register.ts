// One bank's register of a day (id `register:<BANK>:<sha256-prefix>`): the rows were checked and
// stored by the API when the file arrived (register_rows); this workflow is the durable lifecycle
// of its rows. It posts them in chunks, each chunk one heartbeating activity that posts set-based in
// Postgres (a batch of rows per transaction, activities/register.ts), then marks the register done.
// No row costs a workflow of its own. The file's hash in the id makes the same file one register,
// however often sent.
//
// Progress lives in Postgres (registers.rows_done, register_rows.status), written by the
// activities as they go, so a bank polling GET /v1/registers/{id} sees it move and the history
// stays small: one activity per REGISTER_CHUNK_ROWS rows.
import { proxyActivities } from '@temporalio/workflow';
import type { RegisterActivities } from '../activities/register';
import type { RegisterSummary, RegisterWorkflowInput } from '../domain/register-types';
import { REGISTER_CHUNK_HEARTBEAT, REGISTER_CHUNK_TIMEOUT, stepOptions } from './activity-options';

export { registerWorkflowId } from '../domain/register-types';
export type { RegisterSummary, RegisterWorkflowInput } from '../domain/register-types';

/** Rows per activity: a few seconds of Postgres work, so a retried chunk redoes little. */
export const REGISTER_CHUNK_ROWS = 5_000;

const { processRegisterChunk, finishRegister } = proxyActivities<RegisterActivities>(stepOptions(REGISTER_CHUNK_TIMEOUT, REGISTER_CHUNK_HEARTBEAT));

export async function registerWorkflow(input: RegisterWorkflowInput): Promise<RegisterSummary> {
  let afterLine = 0;
  for (;;) {
    const chunk = await processRegisterChunk({ registerId: input.registerId, afterLine, limit: REGISTER_CHUNK_ROWS });
    if (!chunk.more) break;
    afterLine = chunk.lastLine;
  }
  return finishRegister({ registerId: input.registerId });
}
