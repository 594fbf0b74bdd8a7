// Temporal's remote codec protocol on the API process: POST /codec/encode and /codec/decode with
// `{"payloads": [...]}` (proto3 JSON: metadata values and data in base64), so the Temporal Web UI
// and `temporal` CLI show the payloads that the SPC encrypts (infra/payload-codec.ts) in clear to
// operators, and only to them.
//
// Access: the operator token. Scripts send `Authorization: Bearer <SPC_OPS_PAGE_TOKEN>`. The Web UI
// cannot send a header of its own (the dev server's UI sends none), so it is given an endpoint whose
// path carries a value derived from the token (an HMAC of it, never the token itself):
// /codec/ui/<value>, whose /encode and /decode answer like the others. `spc up` hands that endpoint
// to the dev server's UI. The browser calls cross-origin, so the UI's origin is allowed by CORS.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** A page of a large history is a few hundred payloads; 4 MiB of JSON is far past that and bounded. */
export const CODEC_BODY_BYTES_MAX = 4 * 1024 * 1024;
export const CODEC_PAYLOADS_MAX = 2_000;
/** The browser may reuse a preflight this long. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization, caller-type, client-name, client-version';

export interface CodecRouteOptions {
  operatorToken?: string;
  payloadCodec?: PayloadCodec;
  /** Origins (scheme://host:port) allowed to call from a browser: the Temporal Web UI's. */
  corsOrigins: string[];
}

/** The path value of the UI's codec endpoint for a token: an HMAC, so URLs and logs never hold the token. */
export function codecUiValue(token: string): string {
  return createHmac('sha256', token).update('spc-codec-ui-v1').digest('base64url');
}

/** The codec endpoint to give the Temporal Web UI (it appends /encode and /decode). */
export function codecUiEndpoint(apiBaseUrl: string, token: string): string {
  return `${apiBaseUrl.replace(/\/$/, '')}/codec/ui/${codecUiValue(token)}`;
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

export const codecRoutes: FastifyPluginAsync<CodecRouteOptions> = async (app, opts) => {
  const token = opts.operatorToken;
  const uiValue = token ? codecUiValue(token) : undefined;

  const cors = (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin && opts.corsOrigins.includes(origin)) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  };

  const allowed = (request: FastifyRequest): boolean => {
    if (!token) return false;
    const path = (request.params as { value?: string }).value;
    if (path !== undefined) return uiValue !== undefined && sameValue(path, uiValue);
    const bearer = /^Bearer (\S{1,256})$/i.exec(request.headers.authorization ?? '')?.[1];
    return bearer !== undefined && sameValue(bearer, token);
  };

  const handle = (op: 'encode' | 'decode') => async (request: FastifyRequest, reply: FastifyReply) => {
    cors(request, reply);
    reply.header('cache-control', 'no-store');
    if (!token) return reply.code(503).send({ code: 'OPS_CLOSED', message: 'The codec endpoint is closed: set SPC_OPS_PAGE_TOKEN on the server and restart it.' });
    if (!allowed(request)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="spc-codec"')
        .send({ code: 'UNAUTHORIZED', message: 'Operator token required: send Authorization: Bearer <SPC_OPS_PAGE_TOKEN>.' });
    }
    if (!opts.payloadCodec) return reply.code(503).send({ code: 'CODEC_OFF', message: 'Payloads are not encrypted on this installation (no SPC_PAYLOAD_KEYS): nothing to encode or decode.' });
    const payloads = (request.body as { payloads: JsonPayload[] }).payloads.map(fromJson);
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
