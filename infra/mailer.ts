// Outgoing mail over real SMTP (nodemailer) to the relay of SPC_SMTP_URL. A pooled transport with
// every limit set: connections, messages per connection, and timeouts, so a stalled relay is a
// temporary failure, not a hung activity. Replies are sorted as SMTP means them: 2xx sent, 5xx
// permanent (the address or the message is refused: do not try again), 4xx and network faults
// temporary (try again later, with backoff).
import nodemailer from 'nodemailer';

export const MAILER_LIMITS = {
  /** Half of the mails a batch has in flight (activities/mail-delivery.ts): a send is short next to a render. */
  maxConnections: 8,
  maxMessages: 1_000,
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 30_000,
} as const;

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** <local@domain>: fixed per (invoice, address), so a relay or the recipient can tell a repeat. */
  messageId: string;
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
}

export type SendOutcome = { ok: true } | { ok: false; permanent: boolean; code: number | null; message: string };

export interface Mailer {
  send(mail: OutgoingMail): Promise<SendOutcome>;
  close(): void;
}

/** What an SMTP error means: a 5xx reply is permanent, anything else (4xx, timeouts, refused connections) temporary. */
export function outcomeOfError(err: unknown): SendOutcome {
  const e = err as { responseCode?: number; code?: string; message?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const message = (e.message ?? String(err)).slice(0, 500);
  return { ok: false, permanent: code !== null && code >= 500 && code < 600, code, message };
}

export function createMailer(smtpUrl: string): Mailer {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: MAILER_LIMITS.maxConnections,
    maxMessages: MAILER_LIMITS.maxMessages,
    connectionTimeout: MAILER_LIMITS.connectionTimeoutMs,
    greetingTimeout: MAILER_LIMITS.greetingTimeoutMs,
    socketTimeout: MAILER_LIMITS.socketTimeoutMs,
    // A local relay speaks plain SMTP; a real one's URL says smtps:// or offers STARTTLS.
    ignoreTLS: smtpUrl.startsWith('smtp://127.0.0.1') || smtpUrl.startsWith('smtp://localhost'),
  } as nodemailer.TransportOptions);
  return {
    async send(mail) {
      try {
        await transport.sendMail({ ...mail, messageId: mail.messageId });
        return { ok: true };
      } catch (err) {
        return outcomeOfError(err);
      }
    },
    close: () => transport.close(),
  };
}
