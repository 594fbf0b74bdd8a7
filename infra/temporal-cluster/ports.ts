// Free ports for the server's services (gRPC, HTTP, membership).
import net from 'node:net';
import { freePort } from '../temporal-server';
import { TemporalClusterError } from './errors';
import type { ClusterPorts } from './server-config';

/**
 * The server stores each service's membership port in a Postgres smallint (cluster_membership), so
 * a port above 32767 (where the OS hands out ephemeral ports) makes it exit at start. Membership
 * ports are therefore picked at random in this range and checked free.
 */
const MEMBERSHIP_PORT_RANGE = { min: 20_000, max: 32_767 } as const;
const MEMBERSHIP_PORT_TRIES_MAX = 100;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freeMembershipPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < MEMBERSHIP_PORT_TRIES_MAX; i++) {
    const port = MEMBERSHIP_PORT_RANGE.min + Math.floor(Math.random() * (MEMBERSHIP_PORT_RANGE.max - MEMBERSHIP_PORT_RANGE.min + 1));
    if (!taken.has(port) && (await portFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new TemporalClusterError(`no free port for cluster membership between ${MEMBERSHIP_PORT_RANGE.min} and ${MEMBERSHIP_PORT_RANGE.max}`);
}

export async function freePorts(frontend?: number): Promise<ClusterPorts> {
  const next = () => freePort();
  const taken = new Set<number>();
  return {
    frontend: frontend || (await next()),
    frontendHttp: await next(),
    frontendMembership: await freeMembershipPort(taken),
    history: await next(),
    historyMembership: await freeMembershipPort(taken),
    matching: await next(),
    matchingMembership: await freeMembershipPort(taken),
    worker: await next(),
    workerMembership: await freeMembershipPort(taken),
  };
}
