// Free ports for the server's services (gRPC, HTTP, membership).
import net from 'node:net';
import { TemporalClusterError } from './errors';
import type { ClusterPorts } from './server-config';

/**
 * Every port is picked at random below the kernel's ephemeral range (32768-60999 on Linux) and checked
 * free. Two reasons:
 * - the server stores each service's membership port in a Postgres smallint (cluster_membership), so
 *   a port above 32767 makes it exit at start;
 * - a port the OS handed out as "free" from the ephemeral range can be taken again, between our check
 *   and the server's bind, by any outgoing connection (the server's own dozens of Postgres
 *   connections among them): CI once lost a run to "bind: address already in use" on the HTTP port.
 * Outgoing connections never take a port below the ephemeral range, so a port checked free there
 * stays free unless another listener takes it; startTemporalCluster retries with new ports then.
 */
export const CLUSTER_PORT_RANGE = { min: 20_000, max: 32_767 } as const;
const PORT_TRIES_MAX = 200;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < PORT_TRIES_MAX; i++) {
    const port = CLUSTER_PORT_RANGE.min + Math.floor(Math.random() * (CLUSTER_PORT_RANGE.max - CLUSTER_PORT_RANGE.min + 1));
    if (!taken.has(port) && (await portFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new TemporalClusterError(`no free port for the Temporal cluster between ${CLUSTER_PORT_RANGE.min} and ${CLUSTER_PORT_RANGE.max}`);
}

export async function freePorts(frontend?: number): Promise<ClusterPorts> {
  const taken = new Set<number>(frontend ? [frontend] : []);
  const next = () => freeClusterPort(taken);
  return {
    frontend: frontend || (await next()),
    frontendHttp: await next(),
    frontendMembership: await next(),
    history: await next(),
    historyMembership: await next(),
    matching: await next(),
    matchingMembership: await next(),
    worker: await next(),
    workerMembership: await next(),
  };
}
