// The payload key of a single-machine installation (`spc up`): when SPC_PAYLOAD_KEYS is not set,
// `spc up` keeps one generated key in the data directory (never in the repository: .data is
// ignored), so payloads are encrypted from the first start and the dev server's history, which
// lives in the same directory, stays readable across restarts. Other `spc` commands against that
// stack read the same file. A production installation sets SPC_PAYLOAD_KEYS on every process.
import fs from 'node:fs';
import path from 'node:path';
import { generatePayloadKey, type PayloadKeyring } from './payload-codec';

export const PAYLOAD_KEY_FILE = 'payload-keys.json';
/** Id of the key `spc up` generates; a second one would come from rotation through SPC_PAYLOAD_KEYS. */
const GENERATED_KEY_ID = 'local-1';

export function payloadKeyFile(dataDir: string): string {
  return path.join(dataDir, PAYLOAD_KEY_FILE);
}

/** The data directory's keyring, or undefined when `spc up` never wrote one there. */
export function readDataDirPayloadKeys(dataDir: string): PayloadKeyring | undefined {
  let text: string;
  try {
    text = fs.readFileSync(payloadKeyFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as PayloadKeyring;
  if (typeof parsed.currentKeyId !== 'string' || typeof parsed.keys !== 'object') throw new Error(`${payloadKeyFile(dataDir)} is not a payload keyring ({"keys": {...}, "currentKeyId": ...})`);
  return parsed;
}

/** The data directory's keyring, created (mode 0600) with one fresh key when there is none. */
export function ensureDataDirPayloadKeys(dataDir: string): { keyring: PayloadKeyring; created: boolean } {
  const existing = readDataDirPayloadKeys(dataDir);
  if (existing) return { keyring: existing, created: false };
  const keyring: PayloadKeyring = { keys: { [GENERATED_KEY_ID]: generatePayloadKey() }, currentKeyId: GENERATED_KEY_ID };
  fs.mkdirSync(dataDir, { recursive: true });
  // wx: two `spc up` starting at once must not each write a different key.
  try {
    fs.writeFileSync(payloadKeyFile(dataDir), `${JSON.stringify(keyring, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { keyring: readDataDirPayloadKeys(dataDir) as PayloadKeyring, created: false };
  }
  return { keyring, created: true };
}
