// The bench's worker process: the SPC's worker with the ceiling workflow and its no-op activity
// added, so that the ceiling runs on exactly the worker the payments run on. Reads DATABASE_URL,
// TEMPORAL_ADDRESS and SPC_TASK_QUEUE like `spc worker`.
import path from 'node:path';
import { createDb } from '../db/connection';
import { loadConfig } from '../infra/config';
import { connectNativeTemporal, connectTemporal, temporalDataConverter } from '../infra/temporal-connection';
import { createWorker } from '../worker/worker';
import { installWorkerRuntime } from '../worker/run';
import { createCeilingActivities } from './ceiling-activity';

async function main(): Promise<void> {
  installWorkerRuntime('ERROR');
  const cfg = loadConfig();
  const address = cfg.temporal.address;
  if (!cfg.databaseUrl || !address) throw new Error('the bench worker needs DATABASE_URL and TEMPORAL_ADDRESS');
  const db = createDb(cfg.databaseUrl);
  const { client } = await connectTemporal({ ...cfg.temporal, address });
  const connection = await connectNativeTemporal({ ...cfg.temporal, address });
  const worker = await createWorker({
    connection, namespace: cfg.temporal.namespace, taskQueue: cfg.temporal.taskQueue, db, client,
    workflowsPath: path.resolve(__dirname, 'workflows.ts'), extraActivities: createCeilingActivities(),
    // The bench's clients encrypt exactly as the SPC's do when payload keys are set.
    dataConverter: temporalDataConverter(cfg.temporal),
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.stderr.write(`bench worker polling ${cfg.temporal.taskQueue}\n`);
  await worker.run();
  await db.destroy();
}

main().catch((err) => {
  process.stderr.write(`bench worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
