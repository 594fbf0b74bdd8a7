// How a CLI command finds Temporal: the environment, else the runtime file `spc up` wrote (which
// carries the mTLS files of a Temporal server that `spc up --engine server` started).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, writeRuntimeFile } from '../../cli/runtime';
import { loadConfig } from '../../infra/config';
import { ensureDataDirPayloadKeys, payloadKeyFile } from '../../infra/payload-keys';

describe('Runtime.temporalTarget', () => {
  let dir: string;
  const tls = { serverRootCACertPath: '/d/ca.pem', clientCertPath: '/d/node.pem', clientKeyPath: '/d/node.key', serverNameOverride: 'localhost' };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-runtime-'));
    writeRuntimeFile(loadConfig({ SPC_DATA_DIR: dir }), { databaseUrl: 'postgres://db/spc', temporalAddress: '127.0.0.1:7233', namespace: 'default', temporalTls: tls });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses the address and mTLS files of the server that spc up started', () => {
    const target = new Runtime(loadConfig({ SPC_DATA_DIR: dir })).temporalTarget();
    expect([target.address, target.tls]).toEqual(['127.0.0.1:7233', tls]);
  });

  it('lets TEMPORAL_ADDRESS and its TLS settings win over the runtime file', () => {
    const target = new Runtime(loadConfig({ SPC_DATA_DIR: dir, TEMPORAL_ADDRESS: 'temporal.bank.kz:7233', TEMPORAL_TLS: 'true' })).temporalTarget();
    expect([target.address, target.tls]).toEqual(['temporal.bank.kz:7233', true]);
    const plain = new Runtime(loadConfig({ SPC_DATA_DIR: dir, TEMPORAL_ADDRESS: 'temporal.local:7233' })).temporalTarget();
    expect([plain.address, plain.tls]).toEqual(['temporal.local:7233', undefined]);
  });
});

describe('the payload keys of a command', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-keys-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('come from the key spc up generated once into the data directory, readable by its owner only', () => {
    const first = ensureDataDirPayloadKeys(dir);
    const again = ensureDataDirPayloadKeys(dir);
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.keyring).toEqual(first.keyring);
    expect(fs.statSync(payloadKeyFile(dir)).mode & 0o777).toBe(0o600);
    expect(new Runtime(loadConfig({ SPC_DATA_DIR: dir })).payloadKeys()).toEqual(first.keyring);
  });

  it('come from SPC_PAYLOAD_KEYS when set, and never from the data directory against TEMPORAL_ADDRESS', () => {
    expect(new Runtime(loadConfig({ SPC_DATA_DIR: dir, SPC_PAYLOAD_KEYS: 'prod-1:QUJD' })).payloadKeys()).toEqual({ keys: { 'prod-1': 'QUJD' }, currentKeyId: 'prod-1' });
    expect(new Runtime(loadConfig({ SPC_DATA_DIR: dir, TEMPORAL_ADDRESS: 'temporal.bank.kz:7233' })).payloadKeys()).toBeUndefined();
  });
});
