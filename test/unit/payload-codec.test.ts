// The payload codec (infra/payload-codec.ts) and its keys from the environment (infra/config.ts):
// what leaves a process is ciphertext naming its key, keys rotate, and payloads from before the
// codec pass through untouched.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { payloadKeysFromEnv } from '../../infra/config';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, ENCRYPTION_KEY_ID_METADATA, generatePayloadKey, PayloadKeyError } from '../../infra/payload-codec';

const request = { bankCode: 'HSBK', bankRef: 'r-1', account: '1000000001', amount: '1000.00', payerName: 'Айгерим Садыкова' };
const plain = (): Payload => defaultPayloadConverter.toPayload(request);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('AesGcmPayloadCodec', () => {
  const k1 = generatePayloadKey();
  const k2 = generatePayloadKey();

  it('encrypts a payload so that neither the account nor the name is in it, and decrypts it back exactly', async () => {
    const codec = new AesGcmPayloadCodec({ keys: { k1 }, currentKeyId: 'k1' });
    const [encoded] = await codec.encode([plain()]);
    expect(text(encoded?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded?.metadata?.[ENCRYPTION_KEY_ID_METADATA])).toBe('k1');
    expect(Buffer.from(encoded?.data ?? []).includes('1000000001')).toBe(false);
    expect(Buffer.from(encoded?.data ?? []).includes(Buffer.from('Айгерим'))).toBe(false);
    const [decoded] = await codec.decode([encoded as Payload]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(request);
    expect(text(decoded?.metadata?.encoding)).toBe('json/plain');
  });

  it('uses a fresh nonce per payload: the same payload encrypts differently each time', async () => {
    const codec = new AesGcmPayloadCodec({ keys: { k1 }, currentKeyId: 'k1' });
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  it('rotates: encrypts with the current key and decrypts payloads of any configured key', async () => {
    const before = new AesGcmPayloadCodec({ keys: { k1 }, currentKeyId: 'k1' });
    const after = new AesGcmPayloadCodec({ keys: { k1, k2 }, currentKeyId: 'k2' });
    const [old] = await before.encode([plain()]);
    const [fresh] = await after.encode([plain()]);
    expect(text(fresh?.metadata?.[ENCRYPTION_KEY_ID_METADATA])).toBe('k2');
    const decoded = await after.decode([old as Payload, fresh as Payload]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([request, request]);
    await expect(before.decode([fresh as Payload])).rejects.toThrow(PayloadKeyError);
    await expect(before.decode([fresh as Payload])).rejects.toThrow(/key "k2", which is not configured/);
  });

  it('passes payloads without the encrypted encoding through undecoded (histories from before the codec)', async () => {
    const codec = new AesGcmPayloadCodec({ keys: { k1 }, currentKeyId: 'k1' });
    const old = plain();
    const [decoded] = await codec.decode([old]);
    expect(decoded).toBe(old);
  });

  it('refuses a payload whose ciphertext was altered', async () => {
    const codec = new AesGcmPayloadCodec({ keys: { k1 }, currentKeyId: 'k1' });
    const [encoded] = await codec.encode([plain()]);
    const data = Buffer.from(encoded?.data ?? []);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...encoded, data: new Uint8Array(data) }])).rejects.toThrow(/unable to authenticate|auth/i);
  });

  it('refuses a keyring whose current key is missing or whose key is not 32 bytes', () => {
    expect(() => new AesGcmPayloadCodec({ keys: { k1 }, currentKeyId: 'k9' })).toThrow(/current payload key k9 is not among/);
    expect(() => new AesGcmPayloadCodec({ keys: { short: Buffer.alloc(16).toString('base64') }, currentKeyId: 'short' })).toThrow(/16 bytes; AES-256 needs 32/);
  });
});

describe('payloadKeysFromEnv', () => {
  it('reads id:base64 pairs, the current key defaulting to the last listed', () => {
    expect(payloadKeysFromEnv({ SPC_PAYLOAD_KEYS: 'a:QUJD, b:REVG' })).toEqual({ keys: { a: 'QUJD', b: 'REVG' }, currentKeyId: 'b' });
    expect(payloadKeysFromEnv({ SPC_PAYLOAD_KEYS: 'a:QUJD,b:REVG', SPC_PAYLOAD_KEY_CURRENT: 'a' })?.currentKeyId).toBe('a');
    expect(payloadKeysFromEnv({})).toBeUndefined();
  });

  it('refuses a malformed list or an unknown current key without echoing key material', () => {
    expect(() => payloadKeysFromEnv({ SPC_PAYLOAD_KEYS: 'secretvalue' })).toThrow(/<key id>:<base64 key>/);
    expect(() => payloadKeysFromEnv({ SPC_PAYLOAD_KEYS: 'secretvalue' })).not.toThrow(/secretvalue/);
    expect(() => payloadKeysFromEnv({ SPC_PAYLOAD_KEYS: 'a:QUJD', SPC_PAYLOAD_KEY_CURRENT: 'z' })).toThrow(/must name one of the keys of SPC_PAYLOAD_KEYS \(a\)/);
  });
});
