// Temporal's remote codec protocol on the API process: POST /codec/encode and /codec/decode with
// `{"payloads": [...]}` (proto3 JSON: metadata values and data in base64), so the Temporal Web UI
// and `temporal` CLI show the payloads that the SPC encrypts (infra/payload-codec.ts) in clear to
// operators, and only to them.
//
// Access: a decode is a person's act (issue 16, item 9). Scripts and the `temporal` CLI send the
// operator's own personal token, `Authorization: Bearer spco_…` (db/operators.ts); the shared
// SPC_OPS_PAGE_TOKEN opens nothing here. The Web UI cannot send a header of its own, but it can
// include credentials (its Codec Server setting "Include cross-origin credentials"), so
// /codec/ui/encode and /codec/ui/decode take the /ops sign-in's session cookie (api/ops-auth.ts,
// set on /codec/ui too; SameSite=Strict, so only a UI of the same site sends it) from a request
// whose Origin is the UI's. The endpoint itself is no secret: on the dev server's command line and
// in the UI's public settings it opens nothing. The old capability paths (/codec/ui/<value>/…) are
// refused. Every decode writes an audit line naming the operator; decoding is bounded per minute
// (CODEC_DECODES_PER_MINUTE_MAX payloads) beside the per-IP limit of the operator routes
// (api/rate-limit.ts). The residual risk is in README ("Payloads are encrypted") and docs/operators.md.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Db } from '../../db/connection';
import { looksLikeOperatorToken, resolveOperatorToken, type OperatorIdentity } from '../../db/operators';
import { currentOpsSession } from '../ops-auth';

/** A page of a large history is a few hundred payloads; 4 MiB of JSON is far past that and bounded. */
export const CODEC_BODY_BYTES_MAX = 4 * 1024 * 1024;
export const CODEC_PAYLOADS_MAX = 2_000;
/**
 * Payloads decoded per minute by one API process: the UI decodes a history page (a few hundred) per
 * view, so an operator stays far below it, while a harvest of every history is slowed to a crawl.
 */
export const CODEC_DECODES_PER_MINUTE_MAX = 20_000;
const DECODE_WINDOW_MS = 60_000;
/** The browser may reuse a preflight this long. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization, caller-type, client-name, client-version';

/** One line per decode: who (the operator's id), never the payloads, the token or the cookie. */
export interface CodecAuditEntry {
  event: 'codec.decode';
  operator: string;
  /** token: a personal token as Bearer; ui: the /ops session cookie, sent by the Web UI. */
  via: 'token' | 'ui';
  payloads: number;
  ip: string;
  namespace?: string;
}

export interface CodecRouteOptions {
  /** Where operators, their tokens and the /ops sessions are read. */
  db: Db;
  payloadCodec?: PayloadCodec;
  /** Origins (scheme://host:port) allowed to call from a browser: the Temporal Web UI's. */
  corsOrigins: string[];
  /** Where the audit line of each decode goes (default: the request's logger, at info). */
  audit?: (entry: CodecAuditEntry) => void;
  /** Payloads decoded per minute (default CODEC_DECODES_PER_MINUTE_MAX). */
  decodesPerMinuteMax?: number;
  clock?: () => Date;
}

/** The codec endpoint to give the Temporal Web UI (it appends /encode and /decode): no secret in it. */
export function codecUiEndpoint(apiBaseUrl: string): string {
  return `${apiBaseUrl.replace(/\/$/, '')}/codec/ui`;
}

/** The origins of the Temporal Web UI at uiUrl; a loopback UI is opened as localhost as often as 127.0.0.1. */
export function uiOrigins(uiUrl: string | undefined): string[] {
  if (!uiUrl) return [];
  const url = new URL(uiUrl);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') return [url.origin];
  return ['127.0.0.1', 'localhost'].map((host) => `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}`);
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

type Via = CodecAuditEntry['via'];
type Refusal = { status: 401; code: 'UNAUTHORIZED' | 'NOT_SIGNED_IN'; message: string };

const TOKEN_REFUSAL: Refusal = {
  status: 401, code: 'UNAUTHORIZED',
  message: 'Send your own personal token: Authorization: Bearer spco_… (`spc operator token create`); the shared SPC_OPS_PAGE_TOKEN opens no codec.',
};
const UI_REFUSAL: Refusal = {
  status: 401, code: 'NOT_SIGNED_IN',
  message: 'Sign in on /ops in this browser (same host name as the Web UI), and set the UI\'s Codec Server to this endpoint with "Include cross-origin credentials".',
};
const RETIRED_REFUSAL: Refusal = {
  status: 401, code: 'UNAUTHORIZED',
  message: 'The Web UI\'s codec endpoint no longer carries a capability: use /codec/ui with your /ops sign-in.',
};

export const codecRoutes: FastifyPluginAsync<CodecRouteOptions> = async (app, opts) => {
  const clock = opts.clock ?? (() => new Date());
  const spend = decodeBudget(opts.decodesPerMinuteMax ?? CODEC_DECODES_PER_MINUTE_MAX, clock);
  const allowedOrigin = (request: FastifyRequest) => {
    const origin = request.headers.origin;
    return origin && opts.corsOrigins.includes(origin) ? origin : undefined;
  };

  const cors = (request: FastifyRequest, reply: FastifyReply, via: Via) => {
    const origin = allowedOrigin(request);
    if (!origin) return;
    reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    // The UI's requests carry the session cookie: the browser hands over the answer only with this.
    if (via === 'ui') reply.header('access-control-allow-credentials', 'true');
  };

  /** The person behind the request, or why none is. */
  const identify = async (request: FastifyRequest, via: Via): Promise<OperatorIdentity | Refusal> => {
    if (via === 'token') {
      const bearer = /^Bearer (\S{1,256})$/i.exec(request.headers.authorization ?? '')?.[1];
      const who = bearer !== undefined && looksLikeOperatorToken(bearer) ? await resolveOperatorToken(opts.db, bearer) : null;
      return who ?? TOKEN_REFUSAL;
    }
    // A cookie rides along with any request to this site: only the UI's own origin may use it.
    if (!allowedOrigin(request)) return UI_REFUSAL;
    return (await currentOpsSession(opts.db, request)) ?? UI_REFUSAL;
  };

  const auditDecode = (request: FastifyRequest, who: OperatorIdentity, via: Via, payloads: number) => {
    const namespace = request.headers['x-namespace'];
    const entry: CodecAuditEntry = {
      event: 'codec.decode', operator: who.id, via, payloads, ip: request.ip,
      ...(typeof namespace === 'string' ? { namespace: namespace.slice(0, 100) } : {}),
    };
    if (opts.audit) opts.audit(entry);
    else request.log.info(entry, 'codec decode');
  };

  const refuse = (reply: FastifyReply, refused: Refusal) =>
    reply.code(refused.status).header('www-authenticate', 'Bearer realm="spc-codec"').send({ code: refused.code, message: refused.message });

  const handle = (op: 'encode' | 'decode', via: Via) => async (request: FastifyRequest, reply: FastifyReply) => {
    cors(request, reply, via);
    reply.header('cache-control', 'no-store');
    const who = await identify(request, via);
    if ('status' in who) return refuse(reply, who);
    if (!opts.payloadCodec) return reply.code(503).send({ code: 'CODEC_OFF', message: 'Payloads are not encrypted on this installation (no SPC_PAYLOAD_KEYS): nothing to encode or decode.' });
    const payloads = (request.body as { payloads: JsonPayload[] }).payloads.map(fromJson);
    if (op === 'decode') {
      const retryAfterSeconds = spend(payloads.length);
      if (retryAfterSeconds !== undefined) {
        return reply.code(429).header('retry-after', String(retryAfterSeconds))
          .send({ code: 'RATE_LIMITED', message: `more payloads decoded this minute than this server decodes (${opts.decodesPerMinuteMax ?? CODEC_DECODES_PER_MINUTE_MAX}): retry after ${retryAfterSeconds} s`, retryAfterSeconds });
      }
      auditDecode(request, who, via, payloads.length);
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

  const preflight = (via: Via) => async (request: FastifyRequest, reply: FastifyReply) => {
    cors(request, reply, via);
    return reply.code(204).header('access-control-allow-methods', 'POST, OPTIONS').header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS)).send();
  };

  for (const [prefix, via] of [['/codec', 'token'], ['/codec/ui', 'ui']] as const) {
    for (const op of ['encode', 'decode'] as const) {
      app.post(`${prefix}/${op}`, { bodyLimit: CODEC_BODY_BYTES_MAX, schema: { hide: true, body: bodySchema } }, handle(op, via));
      app.options(`${prefix}/${op}`, { schema: { hide: true } }, preflight(via));
    }
  }
  // A UI still configured with an earlier start's capability path learns why it is refused.
  app.post('/codec/ui/:value/:op', { bodyLimit: CODEC_BODY_BYTES_MAX, schema: { hide: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return refuse(reply, RETIRED_REFUSAL);
  });
};
