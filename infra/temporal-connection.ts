// The one way every SPC process reaches Temporal. Client (API, CLI, schedule keeper), worker and infra
// build their connections from the same options, so a worker sees exactly what the client sees: a
// local dev server (plain gRPC), a self-hosted cluster with mTLS (CA, client certificate and key,
// server name), or Temporal Cloud with mTLS or an API key plus the `temporal-namespace` header.
import fs from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from './config';

/** How long the first connect may take before failing with a clear message. */
export const TEMPORAL_CONNECT_TIMEOUT_MS = 10_000;
/** Temporal Cloud routes API-key requests to a namespace by this gRPC header. */
export const TEMPORAL_NAMESPACE_HEADER = 'temporal-namespace';

export type TemporalTarget = TemporalConfig & { address: string };

/** The options both the client's Connection and the worker's NativeConnection take, built once. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** Thrown when a TLS file named by TEMPORAL_TLS_* cannot be read or the cert/key pair is incomplete. */
export class TemporalTlsConfigError extends Error {
  override name = 'TemporalTlsConfigError';
}

/** Thrown when the first connect to Temporal fails; the message names the address and what to check. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
  constructor(message: string, readonly address: string, readonly namespace: string) {
    super(message);
  }
}

function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new TemporalTlsConfigError(`cannot read the Temporal ${what} at ${file}: ${(err as Error).message}; check the TEMPORAL_TLS_* variables.`);
  }
}

function tlsOptions(tls: TemporalConfig['tls']): TemporalConnectionOptions['tls'] {
  if (tls === undefined) return undefined;
  if (tls === true) return true;
  const crt = readPem(tls.clientCertPath, 'client certificate');
  const key = readPem(tls.clientKeyPath, 'client key');
  if (Boolean(crt) !== Boolean(key)) throw new TemporalTlsConfigError('mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, or neither.');
  return {
    serverNameOverride: tls.serverNameOverride,
    serverRootCACertificate: readPem(tls.serverRootCACertPath, 'CA certificate'),
    clientCertPair: crt && key ? { crt, key } : undefined,
  };
}

/** Connection options for a target; reads the TLS files now, so a wrong path fails before any dial. */
export function temporalConnectionOptions(t: TemporalTarget): TemporalConnectionOptions {
  return {
    address: t.address,
    tls: tlsOptions(t.tls),
    apiKey: t.apiKey,
    metadata: t.apiKey ? { [TEMPORAL_NAMESPACE_HEADER]: t.namespace } : undefined,
  };
}

function unreachable(t: TemporalTarget, err: unknown): TemporalUnreachableError {
  return new TemporalUnreachableError(
    `cannot reach Temporal at ${t.address} (namespace ${t.namespace}): ${(err as Error).message}. Check TEMPORAL_ADDRESS, the TEMPORAL_TLS_* files and TEMPORAL_API_KEY.`,
    t.address,
    t.namespace,
  );
}

/** A client connection and a Client on the target's namespace (API, CLI, keeper, infra). */
export async function connectTemporal(t: TemporalTarget): Promise<{ connection: Connection; client: Client }> {
  const options = temporalConnectionOptions(t);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: TEMPORAL_CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw unreachable(t, err);
  }
  return { connection, client: new Client({ connection, namespace: t.namespace }) };
}

/**
 * The worker's native connection, from the same options as the client's. @temporalio/worker is loaded
 * here on demand so that processes that only use the client (API, CLI) do not load the native worker.
 */
export async function connectNativeTemporal(t: TemporalTarget): Promise<NativeConnection> {
  const options = temporalConnectionOptions(t);
  const { NativeConnection: Native } = await import('@temporalio/worker');
  try {
    return await Native.connect(options);
  } catch (err) {
    throw unreachable(t, err);
  }
}
