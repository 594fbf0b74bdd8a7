// One HTTP attempt of a webhook push, shared by the settlement list and complaint webhooks: JSON
// body signed with the bank's secrets (domain/webhook-signature.ts), an Idempotency-Key the bank can
// deduplicate on, no redirects, a bounded wait, and the host's resolved address checked against the
// private-address rule of domain/webhook-url.ts at connect time (DNS rebinding). Returns what happened; the caller records it and
// throws to let its activity's retry policy try again. A push that may not go at all (plain http://
// to another machine, no signing secret) is refused before any attempt: the caller records the
// refusal where operators see it and does not retry, since retrying cannot fix it.
import { webhookSignatureHeader, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../domain/webhook-signature';
import { internalNetworkOf, webhookUrlProblem } from '../domain/webhook-url';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/** One HTTP attempt may take this long; the activities' start-to-close timeout is above it. */
export const WEBHOOK_REQUEST_TIMEOUT_MS = 20_000;
/** Error text kept per attempt (the bank's error page can be large). */
export const LAST_ERROR_CHARS_MAX = 500;
/** Bytes of an error body read at most (UTF-8 takes up to 4 per character); the rest is never read. */
export const ERROR_BODY_BYTES_MAX = LAST_ERROR_CHARS_MAX * 4;

/** The start of a response body, reading no more than `bytesMax` of it, then dropping the connection's rest. */
export async function readBodyStart(res: Response, bytesMax: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < bytesMax) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, bytesMax - bytes));
      bytes += Math.min(value.byteLength, bytesMax - bytes);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

export interface WebhookAttempt {
  status: number | null;
  /** null when the bank took it (2xx). */
  error: string | null;
}

/** Whose webhook, for the refusal's hint: the bank's (`spc bank webhook …`) or a provider's (`spc provider webhook …`). */
export type WebhookOwnerKind = 'bank' | 'provider';

/** Why this push must not be sent (recorded as `refused: …`), or null when it may. */
export function webhookRefusal(url: string, secrets: readonly string[], owner: WebhookOwnerKind = 'bank'): string | null {
  const problem = webhookUrlProblem(url);
  if (problem) return `refused: webhook URL ${problem}; fix it with spc ${owner} webhook set`;
  if (secrets.length === 0) return `refused: the ${owner} has no webhook signing secret; create one with spc ${owner} webhook rotate-secret`;
  return null;
}

/** Resolves a host name to all its addresses (dns.lookup with all: true; tests pass their own). */
export type WebhookResolver = (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
const systemResolver: WebhookResolver = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

/** Thrown (to the connection) when a webhook host resolves to an address inside the SPC's network. */
export class WebhookAddressRefused extends Error {
  readonly code = 'WEBHOOK_URL_PRIVATE_ADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'WebhookAddressRefused';
  }
}

/**
 * The connection's own look-up (net's `lookup` option): the host name is resolved once, and the
 * address connected to is the one checked, so a name that answered a public address when the URL
 * was stored and answers 10.0.0.1 now (DNS rebinding) is refused at send time, with no second
 * resolution left to race. Any internal address among the answers refuses the push.
 */
function guardedLookup(resolve: WebhookResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const internal = addresses.map((a) => ({ address: a.address, network: internalNetworkOf(a.address) })).find((a) => a.network);
      if (internal) {
        return callback(new WebhookAddressRefused(`host ${hostname} resolves to ${internal.address}, a ${internal.network} address inside the SPC's network: the push was not sent`), '', 0);
      }
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`host ${hostname} resolves to no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return callback(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}

/** The start of a response body, reading no more than `bytesMax` of it, then dropping the connection's rest. */
async function readStreamStart(res: IncomingMessage, bytesMax: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of res) {
      const b = chunk as Buffer;
      chunks.push(b.subarray(0, bytesMax - bytes));
      bytes += Math.min(b.byteLength, bytesMax - bytes);
      if (bytes >= bytesMax) break;
    }
  } finally {
    res.destroy();
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** One POST, no redirects followed (a 3xx is an error like any other non-2xx), within WEBHOOK_REQUEST_TIMEOUT_MS. */
function send(url: string, headers: Record<string, string>, body: string, resolve: WebhookResolver): Promise<WebhookAttempt> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((done, fail) => {
    const req = request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(resolve),
      signal: AbortSignal.timeout(WEBHOOK_REQUEST_TIMEOUT_MS),
    }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        res.destroy();
        return done({ status, error: null });
      }
      readStreamStart(res, ERROR_BODY_BYTES_MAX).catch(() => '')
        .then((text) => done({ status, error: `HTTP ${status} ${text.slice(0, LAST_ERROR_CHARS_MAX)}`.trim() }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

export async function postWebhook(
  url: string, idempotencyKey: string, headers: Record<string, string>, payload: unknown, secrets: readonly string[], opts: { resolve?: WebhookResolver } = {},
): Promise<WebhookAttempt> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    return await send(url, {
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
      [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
      [WEBHOOK_SIGNATURE_HEADER]: webhookSignatureHeader(secrets, timestamp, body),
      ...headers,
    }, body, opts.resolve ?? systemResolver);
  } catch (err) {
    return { status: null, error: `${(err as Error).name}: ${(err as Error).message}`.slice(0, LAST_ERROR_CHARS_MAX) };
  }
}
