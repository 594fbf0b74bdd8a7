// One way to reach Temporal: a local dev server (plain gRPC), a self-hosted cluster with mTLS, or
// Temporal Cloud with mTLS or an API key (the SDK turns TLS on by itself when an API key is given).
import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { TemporalConfig } from '../infra/config';

/** How long the first connect may take before failing with a clear message. */
export const TEMPORAL_CONNECT_TIMEOUT_MS = 10_000;

function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the Temporal ${what} at ${file}: ${(err as Error).message}; check the TEMPORAL_TLS_* variables.`);
  }
}

function tlsOptions(tls: TemporalConfig['tls']): ConnectionOptions['tls'] {
  if (tls === undefined) return undefined;
  if (tls === true) return true;
  const crt = readPem(tls.clientCertPath, 'client certificate');
  const key = readPem(tls.clientKeyPath, 'client key');
  if (Boolean(crt) !== Boolean(key)) throw new Error('mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, or neither.');
  return {
    serverNameOverride: tls.serverNameOverride,
    serverRootCACertificate: readPem(tls.serverRootCACertPath, 'CA certificate'),
    clientCertPair: crt && key ? { crt, key } : undefined,
  };
}

export async function connectTemporal(t: TemporalConfig & { address: string }): Promise<{ connection: Connection; client: Client }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: t.address,
      tls: tlsOptions(t.tls),
      apiKey: t.apiKey,
      // Temporal Cloud routes API-key requests by this header.
      metadata: t.apiKey ? { 'temporal-namespace': t.namespace } : undefined,
      connectTimeout: TEMPORAL_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${t.address} (namespace ${t.namespace}): ${(err as Error).message}. Check TEMPORAL_ADDRESS, TLS and API key settings.`);
  }
  return { connection, client: new Client({ connection, namespace: t.namespace }) };
}
