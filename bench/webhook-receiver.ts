// A provider's end of the register webhook, for the benchmark: a local HTTP server that checks
// every push's signature with the provider's secret and the pushed files' SHA-256 against the
// stored ones' (the pull's bytes), and counts what arrived. A provider.register_notice (a register
// too large for the push body) is answered at once, as a provider's endpoint would, and its files
// are then pulled with the provider's key and checked against the notice's SHA-256 and byte size:
// the register counts as delivered when both files are verified.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../domain/webhook-signature';
import { PROVIDER_REGISTER_NOTICE_EVENT } from '../domain/provider-register-push';
import type { ProviderRegisterNoticePayload, ProviderRegisterPayload } from '../activities/provider-register-webhook';

/** Above the SPC's default push bound (8 MiB): a body past it is answered 413 unread, never parsed. */
const BODY_BYTES_MAX = 16 * 1024 * 1024;
/** A pulled file may be this large (a 1,000,000-line register's camt.054 is far below). */
const PULL_BYTES_MAX = 1024 * 1024 * 1024;

export interface ReceivedFile { format: string; sha256: string; bytesSha256: string; bytes: number; bytesExpected: number }
export interface ReceivedRegister {
  registerId: string;
  signed: boolean;
  asNotice: boolean;
  files: ReceivedFile[];
  /** When the files were in hand and checked: on receipt for a push with files, after the pulls for a notice. */
  verifiedAtMs: number | null;
  error?: string;
}

export interface BenchReceiver {
  url: string;
  /** Secrets per provider id, set before the pushes. */
  secrets: Map<string, string>;
  /** Where a notice's files are pulled (the API's base URL) and with which key per provider, set before the pushes. */
  pull: { baseUrl: string; keys: Map<string, string> };
  received: ReceivedRegister[];
  /** Bodies answered 413 for passing BODY_BYTES_MAX. */
  oversized: number;
  /** Resolves when every notice received so far has had its files pulled and checked. */
  pullsDone(): Promise<void>;
  close(): Promise<void>;
}

const sha256Of = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The body, or null when it passed BODY_BYTES_MAX (then nothing past the bound is kept). */
function readBounded(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.byteLength;
      if (bytes <= BODY_BYTES_MAX) chunks.push(c);
    });
    req.on('end', () => resolve(bytes > BODY_BYTES_MAX ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function pullFiles(pull: BenchReceiver['pull'], notice: ProviderRegisterNoticePayload, into: ReceivedRegister): Promise<void> {
  const key = pull.keys.get(notice.providerId) ?? '';
  for (const f of notice.files) {
    const res = await fetch(`${pull.baseUrl}${f.path}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) throw new Error(`pull of ${f.path}: HTTP ${res.status}`);
    if (Number(res.headers.get('content-length') ?? 0) > PULL_BYTES_MAX) throw new Error(`pull of ${f.path}: above ${PULL_BYTES_MAX} bytes`);
    const content = Buffer.from(await res.arrayBuffer());
    into.files.push({ format: f.format, sha256: f.sha256, bytesSha256: sha256Of(content), bytes: content.byteLength, bytesExpected: f.bytes });
  }
  const ok = into.files.every((f) => f.sha256 === f.bytesSha256 && f.bytes === f.bytesExpected);
  if (!ok) throw new Error(`register ${notice.registerId}: a pulled file does not match the notice`);
  into.verifiedAtMs = Date.now();
}

export async function startBenchReceiver(): Promise<BenchReceiver> {
  const pulls: Array<Promise<void>> = [];
  const receiver: BenchReceiver = {
    url: '', secrets: new Map(), pull: { baseUrl: '', keys: new Map() }, received: [], oversized: 0,
    pullsDone: async () => { await Promise.all(pulls); },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    readBounded(req).then((body) => {
      if (body === null) {
        receiver.oversized++;
        return res.writeHead(413).end();
      }
      const payload = JSON.parse(body) as ProviderRegisterPayload | ProviderRegisterNoticePayload;
      const secret = receiver.secrets.get(payload.providerId) ?? '';
      const signed = verifyWebhookSignature({ secret, timestamp: req.headers['x-spc-timestamp'] as string, signature: req.headers['x-spc-signature'] as string, body });
      const got: ReceivedRegister = { registerId: payload.registerId, signed, asNotice: payload.event === PROVIDER_REGISTER_NOTICE_EVENT, files: [], verifiedAtMs: null };
      receiver.received.push(got);
      if (signed && payload.event === PROVIDER_REGISTER_NOTICE_EVENT) {
        pulls.push(pullFiles(receiver.pull, payload, got).catch((err: Error) => { got.error = err.message; }));
      } else if (payload.event !== PROVIDER_REGISTER_NOTICE_EVENT) {
        got.files = payload.files.map((f) => {
          const content = Buffer.from(f.contentBase64, 'base64');
          return { format: f.format, sha256: f.sha256, bytesSha256: sha256Of(content), bytes: content.byteLength, bytesExpected: content.byteLength };
        });
        got.verifiedAtMs = Date.now();
      }
      return res.writeHead(signed ? 200 : 401).end();
    }).catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/spc/registers`;
  return receiver;
}
