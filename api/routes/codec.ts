// Temporal's remote codec protocol on the API process: POST /codec/encode and /codec/decode with
// `{"payloads": [...]}` (proto3 JSON: metadata values and data in base64), so the Temporal Web UI
// and `temporal` CLI show the payloads that the SPC encrypts (infra/payload-codec.ts) in clear to
// operators, and only to them.
//
// Access: the operator token. Scripts send `Authorization: Bearer <SPC_OPS_PAGE_TOKEN>`. The Web UI
// cannot send a header of its own (the dev server's UI sends none), so it is given an endpoint whose
// path carries a capability: /codec/ui/<value>, whose /encode and /decode answer like the others.
// The capability is random, new at every start of `spc up` (which hands it to the dev server's UI)
// and valid for CODEC_UI_VALIDITY_MS only: the API that issued it accepts that one value and no
// other, so a value copied from a log, a command line or the UI's public settings dies with the
// start it belongs to, or at its expiry, whichever is first (issue 16, item 9). The residual risk,
// that the dev UI publishes the endpoint to whoever can open the UI, is in docs/operations.md.
// Every decode writes an audit line (who by: token or UI; how many payloads; the client's address),
// and decoding is bounded per minute (CODEC_DECODES_PER_MINUTE_MAX payloads) beside the per-IP limit
// of the operator routes (api/rate-limit.ts). The browser calls cross-origin, so the UI's origin is
// allowed by CORS.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** A page of a large history is a few hundred payloads; 4 MiB of JSON is far past that and bounded. */
export const CODEC_BODY_BYTES_MAX = 4 * 1024 * 1024;
export const CODEC_PAYLOADS_MAX = 2_000;
/** How long the UI's capability of one start is accepted: a working day and a night; a longer `spc up` is restarted for a new one. */
export const CODEC_UI_VALIDITY_MS = 24 * 60 * 60_000;
/**
 * Payloads decoded per minute by one API process: the UI decodes a history page (a few hundred) per
 * view, so an operator stays far below it, while a harvest of every history is slowed to a crawl.
 */
export const CODEC_DECODES_PER_MINUTE_MAX = 20_000;
const DECODE_WINDOW_MS = 60_000;
const CAPABILITY_BYTES = 32;
/** The browser may reuse a preflight this long. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization, caller-type, client-name, client-version';

/** The UI's codec capability of one start: a random path value and when it stops being accepted. */
export interface CodecUiCapability {
  value: string;
  expiresAt: Date;
}

/** One line per decode: never the payloads, never the capability or the token. */
export interface CodecAuditEntry {
  event: 'codec.decode';
  via: 'token' | 'ui';
  payloads: number;
  ip: string;
  namespace?: string;
}

export interface CodecRouteOptions {
  operatorToken?: string;
  payloadCodec?: PayloadCodec;
  /** Origins (scheme://host:port) allowed to call from a browser: the Temporal Web UI's. */
  corsOrigins: string[];
  /** The capability this process issued to the Web UI; unset: /codec/ui/* refuses everything. */
  uiCapability?: CodecUiCapability;
  /** Where the audit line of each decode goes (default: the request's logger, at info). */
  audit?: (entry: CodecAuditEntry) => void;
  /** Payloads decoded per minute (default CODEC_DECODES_PER_MINUTE_MAX). */
  decodesPerMinuteMax?: number;
  clock?: () => Date;
}

/** A new capability for the Web UI's codec endpoint, valid `validityMs` from `now`. */
export function newCodecUiCapability(now = new Date(), validityMs = CODEC_UI_VALIDITY_MS): CodecUiCapability {
  return { value: randomBytes(CAPABILITY_BYTES).toString('base64url'), expiresAt: new Date(now.getTime() + validityMs) };
}

/** The codec endpoint to give the Temporal Web UI (it appends /encode and /decode). */
export function codecUiEndpoint(apiBaseUrl: string, capability: CodecUiCapability): string {
  return `${apiBaseUrl.replace(/\/$/, '')}/codec/ui/${capability.value}`;
}

/** The origins of the Temporal Web UI at uiUrl; a loopback UI is opened as localhost as often as 127.0.0.1. */
export function uiOrigins(uiUrl: string | undefined): string[] {
  if (!uiUrl) return [];
  const url = new URL(uiUrl);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') return [url.origin];
  return ['127.0.0.1', 'localhost'].map((host) => `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}`);
}

function sameValue(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toBytes = (b64: string | undefined) => new Uint8Array(Buffer.from(b64 ?? '', 'base64'));
const toB64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');

function fromJson(p: JsonPayload): Payload {
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, toBytes(v)])), data: toBytes(p.data) };
}

function toJson(p: Payload): JsonPayload {
  return { metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, toB64(v)])), data: toB64(p.data) };
}

const bodySchema = {
  type: 'object',
  required: ['payloads'],
  properties: {
    payloads: {
      type: 'array',
      maxItems: CODEC_PAYLOADS_MAX,
      items: { type: 'object', properties: { metadata: { type: 'object', additionalProperties: { type: 'string' } }, data: { type: 'string' } } },
    },
  },
} as const;

/** A fixed window of decoded payloads: refuses a decode that would pass the minute's budget. */
function decodeBudget(maxPerWindow: number, clock: () => Date): (payloads: number) => number | undefined {
  let windowStart = 0;
  let used = 0;
  return (payloads) => {
    const now = clock().getTime();
    if (now - windowStart >= DECODE_WINDOW_MS) {
      windowStart = now;
      used = 0;
    }
    if (used + payloads > maxPerWindow) return Math.max(1, Math.ceil((windowStart + DECODE_WINDOW_MS - now) / 1000));
    used += payloads;
    return undefined;
  };
}

type Refusal = { status: 401; code: 'UNAUTHORIZED' | 'CODEC_UI_EXPIRED'; message: string };

export const codecRoutes: FastifyPluginAsync<CodecRouteOptions> = async (app, opts) => {
  const token = opts.operatorToken;
  const clock = opts.clock ?? (() => new Date());
  const spend = decodeBudget(opts.decodesPerMinuteMax ?? CODEC_DECODES_PER_MINUTE_MAX, clock);

  const cors = (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin && opts.corsOrigins.includes(origin)) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  };

  const refusal = (request: FastifyRequest): Refusal | undefined => {
    const unauthorized: Refusal = { status: 401, code: 'UNAUTHORIZED', message: 'Operator token required: send Authorization: Bearer <SPC_OPS_PAGE_TOKEN>.' };
    const path = (request.params as { value?: string }).value;
    if (path !== undefined) {
      const ui = opts.uiCapability;
      if (!ui || !sameValue(path, ui.value)) return unauthorized;
      if (clock() >= ui.expiresAt) return { status: 401, code: 'CODEC_UI_EXPIRED', message: `The Web UI's codec endpoint expired at ${ui.expiresAt.toISOString()}: restart spc up for a new one.` };
      return undefined;
    }
    const bearer = /^Bearer (\S{1,256})$/i.exec(request.headers.authorization ?? '')?.[1];
    return bearer !== undefined && token !== undefined && sameValue(bearer, token) ? undefined : unauthorized;
  };

  const auditDecode = (request: FastifyRequest, payloads: number) => {
    const namespace = request.headers['x-namespace'];
    const entry: CodecAuditEntry = {
      event: 'codec.decode', via: (request.params as { value?: string }).value === undefined ? 'token' : 'ui', payloads, ip: request.ip,
      ...(typeof namespace === 'string' ? { namespace: namespace.slice(0, 100) } : {}),
    };
    if (opts.audit) opts.audit(entry);
    else request.log.info(entry, 'codec decode');
  };

  const handle = (op: 'encode' | 'decode') => async (request: FastifyRequest, reply: FastifyReply) => {
    cors(request, reply);
    reply.header('cache-control', 'no-store');
    if (!token) return reply.code(503).send({ code: 'OPS_CLOSED', message: 'The codec endpoint is closed: set SPC_OPS_PAGE_TOKEN on the server and restart it.' });
    const refused = refusal(request);
    if (refused) return reply.code(refused.status).header('www-authenticate', 'Bearer realm="spc-codec"').send({ code: refused.code, message: refused.message });
    if (!opts.payloadCodec) return reply.code(503).send({ code: 'CODEC_OFF', message: 'Payloads are not encrypted on this installation (no SPC_PAYLOAD_KEYS): nothing to encode or decode.' });
    const payloads = (request.body as { payloads: JsonPayload[] }).payloads.map(fromJson);
    if (op === 'decode') {
      const retryAfterSeconds = spend(payloads.length);
      if (retryAfterSeconds !== undefined) {
        return reply.code(429).header('retry-after', String(retryAfterSeconds))
          .send({ code: 'RATE_LIMITED', message: `more payloads decoded this minute than this server decodes (${opts.decodesPerMinuteMax ?? CODEC_DECODES_PER_MINUTE_MAX}): retry after ${retryAfterSeconds} s`, retryAfterSeconds });
      }
      auditDecode(request, payloads.length);
    }
    let out: Payload[];
    try {
      out = op === 'encode' ? await opts.payloadCodec.encode(payloads) : await opts.payloadCodec.decode(payloads);
    } catch (err) {
      // An unknown key id or a payload that fails authentication is the caller's input, not a fault.
      return reply.code(400).send({ code: 'INVALID_REQUEST', message: `a payload cannot be ${op}d: ${(err as Error).message}` });
    }
    return reply.type('application/json').send({ payloads: out.map(toJson) });
  };

  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    cors(request, reply);
    return reply.code(204).header('access-control-allow-methods', 'POST, OPTIONS').header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS)).send();
  };

  for (const prefix of ['/codec', '/codec/ui/:value']) {
    for (const op of ['encode', 'decode'] as const) {
      app.post(`${prefix}/${op}`, { bodyLimit: CODEC_BODY_BYTES_MAX, schema: { hide: true, body: bodySchema } }, handle(op));
      app.options(`${prefix}/${op}`, { schema: { hide: true } }, preflight);
    }
  }
};
