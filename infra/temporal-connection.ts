// The one way every SPC process reaches Temporal. Client (API, CLI, schedule keeper), worker and infra
// build their connections from the same options, so a worker sees exactly what the client sees: a
// local dev server (plain gRPC), a self-hosted cluster with mTLS (CA, client certificate and key,
// server name), or Temporal Cloud with mTLS or an API key plus the `temporal-namespace` header.
import fs from 'node:fs';
import { Client, Connection, type DataConverter, type TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from './config';
import { AesGcmPayloadCodec } from './payload-codec';

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

/** Loaded by path: the workflow bundle needs the same failure converter as the client (see that file). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

const codecs = new WeakMap<object, AesGcmPayloadCodec>();

/** The payload codec of a target with payload keys (one instance per keyring), or undefined. */
export function payloadCodecOf(t: Pick<TemporalConfig, 'payloadKeys'>): AesGcmPayloadCodec | undefined {
  if (!t.payloadKeys) return undefined;
  let codec = codecs.get(t.payloadKeys);
  if (!codec) {
    codec = new AesGcmPayloadCodec(t.payloadKeys);
    codecs.set(t.payloadKeys, codec);
  }
  return codec;
}

/**
 * The data converter every client and worker of a target uses: payloads encrypted with the
 * target's keys and failure messages encoded so they are encrypted too; none without keys. Client
 * and worker must agree, so both take it from here.
 */
export function temporalDataConverter(t: Pick<TemporalConfig, 'payloadKeys'>): DataConverter | undefined {
  const codec = payloadCodecOf(t);
  return codec ? { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH } : undefined;
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
  return { connection, client: new Client({ connection, namespace: t.namespace, dataConverter: temporalDataConverter(t) }) };
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
