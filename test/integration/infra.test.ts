// The shared test infrastructure itself: the dev server that globalSetup started is configured the way
// the SPC needs it, and createTestDatabase hands out a migrated database that drop() removes again.
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { createDb } from '../../db/connection';
import { SPC_SEARCH_ATTRIBUTES } from '../../infra/temporal-server';
import { createTestDatabase, testAdminDbUrl, testTemporalAddress, TEST_NAMESPACE, uniqueTaskQueue } from '../support/env';

/** How long the update-with-start probe waits for a worker that never comes. */
const UPDATE_PROBE_DEADLINE_MS = 3_000;

// jest 29 ignores testTimeout inside a `projects` entry, so the 5 s default would apply here.
jest.setTimeout(60_000);

describe('the shared Temporal dev server', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: testTemporalAddress() });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('has every SPC search attribute registered as Keyword', async () => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: TEST_NAMESPACE });
    const keyword = encodeSearchAttributeIndexedValueType('KEYWORD');
    for (const name of SPC_SEARCH_ATTRIBUTES) expect({ name, type: customAttributes?.[name] }).toEqual({ name, type: keyword });
  });

  it('answers getSystemInfo with a server version and its capabilities', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.capabilities?.eagerWorkflowStart).toBe(true);
    expect(info.capabilities?.sdkMetadata).toBe(true);
  });

  it('accepts update-with-start: the workflow starts even though no worker takes the update', async () => {
    const client = new Client({ connection, namespace: TEST_NAMESPACE });
    const workflowId = `infra-probe-${uniqueTaskQueue('uws')}`;
    const startOperation = new WithStartWorkflowOperation('spcInfraProbe', {
      workflowId,
      taskQueue: uniqueTaskQueue('infra-probe'),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    // With update or multi-operation disabled the server refuses at once (PermissionDenied) and starts
    // nothing; enabled, it starts the workflow and then waits for a worker to accept the update.
    const outcome = await connection
      .withDeadline(Date.now() + UPDATE_PROBE_DEADLINE_MS, () => client.workflow.executeUpdateWithStart('ping', { startWorkflowOperation: startOperation }))
      .then(
        () => 'completed',
        (err: Error) => err.message,
      );
    expect(outcome).not.toMatch(/disabled|PERMISSION_DENIED|UNIMPLEMENTED/i);
    expect(outcome).toMatch(/deadline|timed out|cancel/i);
    const handle = client.workflow.getHandle(workflowId);
    const described = await handle.describe();
    expect(described.status.name).toBe('RUNNING');
    await handle.terminate('infra probe done');
  });
});

describe('createTestDatabase', () => {
  it('gives a migrated database that drop() removes', async () => {
    const testDb = await createTestDatabase();
    const name = new URL(testDb.url).pathname.slice(1);
    expect(name).toMatch(/^spc_t_[0-9a-f]{12}$/);
    expect(await testDb.db.schema.hasTable('banks')).toBe(true);
    await testDb.drop();

    const admin = createDb(testAdminDbUrl(), 1);
    try {
      const found = await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [name]);
      expect(found.rows).toHaveLength(0);
    } finally {
      await admin.destroy();
    }
  });
});
