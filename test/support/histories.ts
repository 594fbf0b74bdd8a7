// Saving a workflow's history under test/histories/<kind>/<name>.json when recording
// (SPC_RECORD_HISTORIES=1), so that the scenarios of an integration test become the replay cases
// of test/integration/replay.test.ts without a second, separate recording run.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJson } from '../../audit';

export const HISTORIES_DIR = path.resolve(__dirname, '../histories');
export const RECORDING_HISTORIES = process.env.SPC_RECORD_HISTORIES === '1';

export async function recordHistory(client: Client, kind: string, name: string, workflowId: string): Promise<void> {
  if (!RECORDING_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  fs.mkdirSync(path.join(HISTORIES_DIR, kind), { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, kind, `${name}.json`), `${historyToJson(history)}\n`);
}
