// A provider's end of the register webhook, for the benchmark: a local HTTP server that checks
// every push's signature with the provider's secret and the pushed files' SHA-256 against the
// stored ones' (the pull's bytes), and counts what arrived.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../domain/webhook-signature';
import type { ProviderRegisterPayload } from '../activities/provider-register-webhook';

/** A register push is a few MB at most (100,000 payments over 8 providers, base64). */
const BODY_BYTES_MAX = 64 * 1024 * 1024;

export interface ReceivedRegister { registerId: string; signed: boolean; files: Array<{ format: string; sha256: string; bytesSha256: string; bytes: number }> }

export interface BenchReceiver {
  url: string;
  /** Secrets per provider id, set before the pushes. */
  secrets: Map<string, string>;
  received: ReceivedRegister[];
  close(): Promise<void>;
}

export async function startBenchReceiver(): Promise<BenchReceiver> {
  const secrets = new Map<string, string>();
  const received: ReceivedRegister[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.byteLength;
      if (bytes <= BODY_BYTES_MAX) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const payload = JSON.parse(body) as ProviderRegisterPayload;
      const secret = secrets.get(payload.providerId) ?? '';
      const signed = verifyWebhookSignature({ secret, timestamp: req.headers['x-spc-timestamp'] as string, signature: req.headers['x-spc-signature'] as string, body });
      received.push({
        registerId: payload.registerId, signed,
        files: payload.files.map((f) => {
          const content = Buffer.from(f.contentBase64, 'base64');
          return { format: f.format, sha256: f.sha256, bytesSha256: createHash('sha256').update(content).digest('hex'), bytes: content.byteLength };
        }),
      });
      res.writeHead(signed ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/spc/registers`,
    secrets, received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
