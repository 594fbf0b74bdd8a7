// The cabinet's access code (issue 20 item 3): printed on the invoice, typed by a household with its
// personal account number. 12 characters of an alphabet without look-alikes (no 0/O, 1/I/L), shown
// in groups of four: about 60 bits, more than the lock-out lets anyone try. Stored as a salted
// scrypt hash only (db: cabinet_access_codes); checking costs a few milliseconds on purpose.
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const ACCESS_CODE_CHARS = 12;
const GROUP_CHARS = 4;
/** scrypt cost: ~10 ms on one core, so 20 sign-ins a second stay well inside a core. */
const SCRYPT = { N: 8192, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const HASH_RE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;
/** Input longer than this is not a code; it is refused before any hashing. */
export const ACCESS_CODE_INPUT_CHARS_MAX = 32;

/** A new random code, grouped «ABCD-EFGH-JKMN». */
export function newAccessCode(): string {
  const chars: string[] = [];
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 31).
  while (chars.length < ACCESS_CODE_CHARS) {
    for (const byte of randomBytes(ACCESS_CODE_CHARS * 2)) {
      if (byte < 248 && chars.length < ACCESS_CODE_CHARS) chars.push(ALPHABET[byte % ALPHABET.length] as string);
    }
  }
  const groups: string[] = [];
  for (let i = 0; i < ACCESS_CODE_CHARS; i += GROUP_CHARS) groups.push(chars.slice(i, i + GROUP_CHARS).join(''));
  return groups.join('-');
}

/** What a household typed, as compared: upper case, without spaces and dashes; null when it cannot be a code. */
export function normalizeAccessCode(typed: unknown): string | null {
  if (typeof typed !== 'string' || typed.length > ACCESS_CODE_INPUT_CHARS_MAX) return null;
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== ACCESS_CODE_CHARS || [...code].some((c) => !ALPHABET.includes(c))) return null;
  return code;
}

const SCRYPT_MEMORY_BYTES_MAX = 64 * 1024 * 1024;

function derive(code: string, salt: Buffer, cost: { N: number; r: number; p: number }): Buffer {
  return scryptSync(code, salt, HASH_BYTES, { ...cost, maxmem: SCRYPT_MEMORY_BYTES_MAX });
}

/** The same derivation on libuv's thread pool: a sign-in's scrypt does not stop the API's event loop. */
function deriveOffLoop(code: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(code, salt, HASH_BYTES, { ...cost, maxmem: SCRYPT_MEMORY_BYTES_MAX }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** The stored form: scrypt$N$r$p$salt$hash (base64url). */
export function hashAccessCode(code: string): string {
  const normalized = normalizeAccessCode(code);
  if (normalized === null) throw new RangeError('invariant: hashing something that is not an access code');
  const salt = randomBytes(SALT_BYTES);
  const hash = derive(normalized, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * Whether `typed` is the code `stored` was made from; a stored value of another shape never matches.
 * Hashed off the event loop: at 20 sign-ins a second the scrypt is half a core (25 ms each), which
 * on the loop would queue every other cabinet request behind it.
 */
export async function accessCodeMatches(typed: string, stored: string): Promise<boolean> {
  const normalized = normalizeAccessCode(typed);
  const m = HASH_RE.exec(stored);
  if (normalized === null || !m) return false;
  const cost = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const expected = Buffer.from(m[5] as string, 'base64url');
  return timingSafeEqual(await deriveOffLoop(normalized, Buffer.from(m[4] as string, 'base64url'), cost), expected);
}

/** A hash to check against when the account has no code, so that a miss costs as long as a hit. */
export const DUMMY_ACCESS_CODE_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
