// Keeps personal data (account numbers, names, addresses, meter readings) out of Temporal's history:
// every payload a client or worker sends is encrypted with AES-256-GCM before it leaves the process,
// so the Temporal server, its database, its backups and its Web UI hold ciphertext only. Operators
// read payloads through the API's codec endpoint (api/routes/codec.ts), behind the operator token.
//
// Keys rotate: each encrypted payload names its key in the metadata (`encryption-key-id`); payloads
// are encrypted with the current key and decrypted with whichever configured key they name, so a
// new key can be made current while histories written under the old one still read. A payload
// without the encrypted encoding passes through untouched: histories recorded before the codec
// (test/histories, a running installation's older workflows) still replay.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID_METADATA = 'encryption-key-id';
/** AES-256: 32 key bytes. */
export const PAYLOAD_KEY_BYTES = 32;
/** GCM's recommended nonce size; a fresh random one per payload. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

/** Keys by id (base64 in configuration), and the id new payloads are encrypted with. */
export interface PayloadKeyring {
  keys: Record<string, string>;
  currentKeyId: string;
}

/** Thrown when a keyring is unusable (no current key, a key that is not 32 bytes) or a payload names an unknown key. */
export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

/** A new random key, base64 (for SPC_PAYLOAD_KEYS or the key file `spc up` writes). */
export function generatePayloadKey(): string {
  return randomBytes(PAYLOAD_KEY_BYTES).toString('base64');
}

function keyBytes(keyId: string, base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== PAYLOAD_KEY_BYTES) throw new PayloadKeyError(`payload key ${keyId} is ${key.length} bytes; AES-256 needs ${PAYLOAD_KEY_BYTES} (base64 of 32 random bytes)`);
  return key;
}

const text = new TextEncoder();
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** The plaintext of an encrypted payload: the whole original payload (metadata and data), as JSON with base64 bytes. */
function serialize(p: Payload): Buffer {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]));
  return Buffer.from(JSON.stringify({ metadata, data: Buffer.from(p.data ?? []).toString('base64') }));
}

function deserialize(plain: Buffer): Payload {
  const parsed = JSON.parse(plain.toString('utf8')) as { metadata: Record<string, string>; data: string };
  const metadata = Object.fromEntries(Object.entries(parsed.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return { metadata, data: new Uint8Array(Buffer.from(parsed.data, 'base64')) };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  readonly currentKeyId: string;

  constructor(keyring: PayloadKeyring) {
    this.keys = new Map(Object.entries(keyring.keys).map(([id, b64]) => [id, keyBytes(id, b64)]));
    if (!this.keys.has(keyring.currentKeyId)) throw new PayloadKeyError(`the current payload key ${keyring.currentKeyId} is not among the configured keys (${[...this.keys.keys()].join(', ') || 'none'})`);
    this.currentKeyId = keyring.currentKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key, iv);
      const sealed = Buffer.concat([iv, cipher.update(serialize(p)), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: text.encode(ENCRYPTED_ENCODING), [ENCRYPTION_KEY_ID_METADATA]: text.encode(this.currentKeyId) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (utf8(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = utf8(p.metadata?.[ENCRYPTION_KEY_ID_METADATA]);
      const key = this.keys.get(keyId);
      if (!key) throw new PayloadKeyError(`a payload is encrypted with key ${JSON.stringify(keyId)}, which is not configured: add it to SPC_PAYLOAD_KEYS (old keys stay until no history needs them)`);
      const sealed = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return deserialize(Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]));
    });
  }
}
