// One real worker on its own task queue against the shared dev server and a fresh database:
// the setting of every workflow integration test.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createWorker } from '../../worker/worker';
import { installWorkerRuntime } from '../../worker/run';
import { createTestDatabase, testTemporalAddress, uniqueTaskQueue, type TestDatabase } from './env';
import { temporalDataConverter } from '../../infra/temporal-connection';
import type { PayloadKeyring } from '../../infra/payload-codec';
import { complaintDeadlinesFromEnv, settlementConfigFromEnv, type ProviderPushConfig } from '../../infra/config';

export interface Harness {
  database: TestDatabase;
  client: Client;
  taskQueue: string;
  ctx: { client: Client; taskQueue: string; db: TestDatabase['db'] };
  worker: Worker;
  /** Stops the worker (waits for it), e.g. to simulate a crash-restart; startWorker() brings a new one. */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * payloadKeys: client and worker encrypt payloads as an installation with SPC_PAYLOAD_KEYS does.
 * providerPush: the worker's register push settings (a small PROVIDER_PUSH_BODY_BYTES_MAX) instead of the environment's.
 */
export async function startHarness(prefix: string, opts: { clock?: () => Date; payloadKeys?: PayloadKeyring; providerPush?: ProviderPushConfig } = {}): Promise<Harness> {
  installWorkerRuntime('ERROR');
  const database = await createTestDatabase();
  const taskQueue = uniqueTaskQueue(prefix);
  const connection = await Connection.connect({ address: testTemporalAddress() });
  const dataConverter = temporalDataConverter({ payloadKeys: opts.payloadKeys });
  const client = new Client({ connection, namespace: 'default', dataConverter });
  const native = await NativeConnection.connect({ address: testTemporalAddress() });
  let running: { worker: Worker; done: Promise<void> } | undefined;
  const config = opts.providerPush ? { settlement: settlementConfigFromEnv(), complaintDeadlines: complaintDeadlinesFromEnv(), providerPush: opts.providerPush } : undefined;

  const harness: Harness = {
    database,
    client,
    taskQueue,
    // The client side (registers, payments) is what the API does: its role, spc_api.
    ctx: { client, taskQueue, db: database.apiDb },
    get worker() {
      if (!running) throw new Error('worker is stopped');
      return running.worker;
    },
    startWorker: async () => {
      // The worker connects as its own role, spc_worker, as in production (db/app-role.ts).
      const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, db: database.workerDb, client, clock: opts.clock, dataConverter, config });
      running = { worker, done: worker.run() };
    },
    stopWorker: async () => {
      if (!running) return;
      const { worker, done } = running;
      running = undefined;
      worker.shutdown();
      await done;
    },
    close: async () => {
      await harness.stopWorker();
      await native.close();
      await connection.close();
      await database.drop();
    },
  };
  await harness.startWorker();
  return harness;
}
