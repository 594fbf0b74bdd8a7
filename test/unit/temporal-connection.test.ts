// The options every process's Temporal connection is built from (client and worker alike).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config';
import { temporalConnectionOptions, TemporalTlsConfigError } from '../../infra/temporal-connection';

describe('temporalConnectionOptions', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-conn-'));
    for (const name of ['ca.pem', 'client.pem', 'client.key']) fs.writeFileSync(path.join(dir, name), `-----${name}-----\n`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const target = (env: NodeJS.ProcessEnv) => ({ ...loadConfig(env).temporal, address: 'temporal.example:7233' });

  it('is plain gRPC without a header for a local dev server', () => {
    expect(temporalConnectionOptions(target({}))).toEqual({ address: 'temporal.example:7233', tls: undefined, apiKey: undefined, metadata: undefined });
  });

  it('carries the CA, the client certificate pair and the server name for mTLS', () => {
    const options = temporalConnectionOptions(
      target({
        TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
        TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
      }),
    );
    expect(options.tls).toEqual({
      serverNameOverride: 'localhost',
      serverRootCACertificate: Buffer.from('-----ca.pem-----\n'),
      clientCertPair: { crt: Buffer.from('-----client.pem-----\n'), key: Buffer.from('-----client.key-----\n') },
    });
    expect(options.metadata).toBeUndefined();
  });

  it('sends the API key with TLS on and the namespace header Temporal Cloud routes by', () => {
    const options = temporalConnectionOptions(target({ TEMPORAL_API_KEY: 'secret-key', TEMPORAL_NAMESPACE: 'spc.a1b2c' }));
    expect(options).toEqual({ address: 'temporal.example:7233', tls: true, apiKey: 'secret-key', metadata: { 'temporal-namespace': 'spc.a1b2c' } });
  });

  it('refuses a client certificate without its key', () => {
    expect(() => temporalConnectionOptions(target({ TEMPORAL_TLS_CERT: path.join(dir, 'client.pem') }))).toThrow(TemporalTlsConfigError);
    expect(() => temporalConnectionOptions(target({ TEMPORAL_TLS_CERT: path.join(dir, 'client.pem') }))).toThrow(/both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
  });

  it('names the unreadable file and the variables to check', () => {
    expect(() => temporalConnectionOptions(target({ TEMPORAL_TLS_CA: path.join(dir, 'missing.pem') }))).toThrow(/CA certificate at .*missing\.pem.*TEMPORAL_TLS_\*/);
  });
});
