// Certificates for mTLS made with openssl at run time: a CA and one certificate for server and
// client auth. Nothing secret is ever in the repository.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TemporalClusterError } from './errors';

const execFileAsync = promisify(execFile);
/** Test certificates live as long as a cluster's data directory is likely to; renewed when near expiry. */
export const CERT_VALIDITY_DAYS = 90;
const CERT_RENEW_BEFORE_SECONDS = 7 * 86_400;
/** The one name the certificate's SAN covers that clients use for host name checks. */
export const CLUSTER_TLS_SERVER_NAME = 'localhost';

export interface ClusterCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new TemporalClusterError(`openssl ${args[0]} failed: ${e.stderr || e.message}; is openssl installed?`);
  }
}

async function certValid(file: string): Promise<boolean> {
  if (!fs.existsSync(file)) return false;
  try {
    await execFileAsync('openssl', ['x509', '-in', file, '-noout', '-checkend', String(CERT_RENEW_BEFORE_SECONDS)]);
    return true;
  } catch {
    return false;
  }
}

/**
 * A CA and one certificate signed by it, with SAN localhost and 127.0.0.1, usable for server and client
 * auth: the frontend, the services between themselves, the system worker and the SPC's processes all
 * present it. Kept in dir (mode 0700) and reused while valid; nothing secret is ever in the repository.
 */
export async function ensureClusterCertificates(dir: string, subject = 'SPC Temporal'): Promise<ClusterCertificates> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certs = { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'node.pem'), keyFile: path.join(dir, 'node.key') };
  if ((await certValid(certs.caFile)) && (await certValid(certs.certFile)) && fs.existsSync(certs.keyFile)) return certs;
  const days = String(CERT_VALIDITY_DAYS);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', days, '-subj', `/CN=${subject} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', `/CN=${CLUSTER_TLS_SERVER_NAME}`], dir);
  fs.writeFileSync(
    path.join(dir, 'node.ext'),
    ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=DNS:${CLUSTER_TLS_SERVER_NAME},IP:127.0.0.1`, ''].join('\n'),
  );
  await openssl(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', days, '-extfile', 'node.ext'], dir);
  for (const key of ['ca.key', 'node.key']) fs.chmodSync(path.join(dir, key), 0o600);
  return certs;
}
