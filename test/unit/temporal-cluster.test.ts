// The configuration the real Temporal server is started with (infra/temporal-cluster.ts).
import { clusterConfigYaml, clusterDatabases, clusterDynamicConfigYaml, CLUSTER_HISTORY_SHARDS, postgresEndpointOf } from '../../infra/temporal-cluster';
import { CLUSTER_PORT_RANGE, freePorts } from '../../infra/temporal-cluster/ports';

const certs = { caFile: '/s/certs/ca.pem', certFile: '/s/certs/node.pem', keyFile: '/s/certs/node.key' };
const ports = { frontend: 7233, frontendHttp: 7243, frontendMembership: 6933, history: 7234, historyMembership: 6934, matching: 7235, matchingMembership: 6935, worker: 7239, workerMembership: 6939 };

describe('clusterConfigYaml', () => {
  const yaml = clusterConfigYaml({
    ports,
    pg: { host: '127.0.0.1', port: 5432, user: 'postgres', password: 'p"w' },
    dbs: clusterDatabases('spc'),
    certs,
    dynamicConfigFile: '/s/dynamicconfig.yaml',
  });

  it('keeps state in two Postgres databases with four history shards', () => {
    expect(CLUSTER_HISTORY_SHARDS).toBe(4);
    expect(yaml).toContain('numHistoryShards: 4');
    expect(yaml).toContain('databaseName: "temporal_spc"');
    expect(yaml).toContain('databaseName: "temporal_spc_visibility"');
    expect(yaml.match(/pluginName: "postgres12"/g)).toHaveLength(2);
    expect(yaml).toContain('password: "p\\"w"');
  });

  it('requires client certificates on the frontend and between services, and gives the system worker one', () => {
    expect(yaml.match(/requireClientAuth: true/g)).toHaveLength(2);
    expect(yaml).toMatch(/ {4}systemWorker:\n {6}certFile: "\/s\/certs\/node.pem"\n {6}keyFile: "\/s\/certs\/node.key"\n {6}client:\n {8}serverName: "localhost"/);
    expect(yaml.match(/clientCaFiles: \["\/s\/certs\/ca.pem"\]/g)).toHaveLength(2);
  });

  it('points the dynamic config at an absolute path and the public client at the frontend', () => {
    expect(yaml).toContain('filepath: "/s/dynamicconfig.yaml"');
    expect(yaml).toMatch(/publicClient:\n {2}hostPort: "127.0.0.1:7233"/);
  });
});

describe('clusterDynamicConfigYaml', () => {
  it('turns on workflow update and update-with-start, as on the dev server', () => {
    expect(clusterDynamicConfigYaml()).toContain('frontend.enableUpdateWorkflowExecution:\n  - value: true\n');
    expect(clusterDynamicConfigYaml()).toContain('frontend.enableExecuteMultiOperation:\n  - value: true\n');
  });
});

describe('cluster names and Postgres endpoints', () => {
  it('refuses a cluster name that cannot name a database', () => {
    expect(() => clusterDatabases('Bad-Name')).toThrow(/lower-case letters, digits and _/);
  });

  it('reads host, port, user and password from a postgres URL', () => {
    expect(postgresEndpointOf('postgres://spc:s%40cret@db.local:6543/spc')).toEqual({ host: 'db.local', port: 6543, user: 'spc', password: 's@cret' });
    expect(postgresEndpointOf('postgres://postgres@127.0.0.1/postgres')).toEqual({ host: '127.0.0.1', port: 5432, user: 'postgres', password: '' });
  });
});

describe('freePorts', () => {
  it('picks nine distinct ports below the ephemeral range, keeping a given frontend port', async () => {
    const picked = await freePorts(7233);
    const values = Object.values(picked);
    expect(picked.frontend).toBe(7233);
    expect(new Set(values).size).toBe(9);
    for (const port of values.slice(1)) {
      expect(port).toBeGreaterThanOrEqual(CLUSTER_PORT_RANGE.min);
      expect(port).toBeLessThanOrEqual(CLUSTER_PORT_RANGE.max);
    }
    // Outgoing connections take their local port from the kernel's ephemeral range, which starts at 32768.
    expect(CLUSTER_PORT_RANGE.max).toBeLessThan(32_768);
  });
});
