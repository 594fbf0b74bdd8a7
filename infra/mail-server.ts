// The local SMTP server `spc up` starts when SPC_SMTP_URL is unset, so the whole mail path runs on
// one machine: every message it receives is stored as an .eml file in .data/mail, where an
// operator (or a mail client) reads it. Loopback only, no authentication, a size limit per message.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

/** Larger than an invoice mail with its PDF (about 100 KiB) by far; anything bigger is refused. */
export const LOCAL_MAIL_SIZE_MAX_BYTES = 10 * 1024 * 1024;

export interface LocalMailServer {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startLocalMailServer(dir: string, port = 0, host = '127.0.0.1'): Promise<LocalMailServer> {
  fs.mkdirSync(dir, { recursive: true });
  let seq = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: LOCAL_MAIL_SIZE_MAX_BYTES,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
          return;
        }
        const raw = Buffer.concat(chunks);
        // Time first, so `ls` lists mail in arrival order; the hash keeps names unique across restarts.
        const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(++seq).padStart(6, '0')}-${createHash('sha256').update(raw).digest('hex').slice(0, 8)}.eml`;
        fs.writeFile(path.join(dir, name), raw, (err) => callback(err ?? null));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // A sender that dies mid-session (a SIGKILLed worker) resets its connection: smtp-server reports
  // that as an 'error' event, which unhandled would end the process that hosts the relay.
  server.on('error', () => undefined);
  const address = server.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { url: `smtp://${host}:${bound}`, dir, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
