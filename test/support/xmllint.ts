// Validates XML against the pain.001.001.09 schema with xmllint (Debian package libxml2-utils), the
// same tool an operator or a bank would use by hand, so "the tests pass" means "xmllint agrees".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PAIN001_XSD_PATH = path.resolve(__dirname, '../../schemas/iso20022/pain.001.001.09.xsd');

/** xmllint on a 10 000-line list takes well under a second; a minute means it hangs. */
const XMLLINT_TIMEOUT_MS = 60_000;
const XMLLINT_OUTPUT_BYTES_MAX = 16 * 1024 * 1024;

/** Thrown when the xmllint binary is not installed. */
export class XmllintMissingError extends Error {
  override name = 'XmllintMissingError';
  constructor() {
    super('xmllint not found on PATH: install it with `apt-get install -y libxml2-utils` (Debian/Ubuntu) and rerun');
  }
}

export function validateWithXsd(xml: string, schemaPath: string = PAIN001_XSD_PATH): { ok: boolean; output: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spc-xmllint-'));
  try {
    const file = path.join(dir, 'message.xml');
    writeFileSync(file, xml, 'utf8');
    // --nonet: the schema is local and validation must never reach out to the network.
    const result = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schemaPath, file], {
      encoding: 'utf8',
      timeout: XMLLINT_TIMEOUT_MS,
      maxBuffer: XMLLINT_OUTPUT_BYTES_MAX,
    });
    if (result.error) {
      if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new XmllintMissingError();
      throw result.error;
    }
    const output = `${result.stdout}${result.stderr}`.split(file).join('message.xml').trim();
    return { ok: result.status === 0, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
