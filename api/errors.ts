// Every error the bank API answers has one shape, {code, message, details?}, and a 4xx status that
// says whose move it is. Nothing a client sends may produce a 5xx: fastify's own errors (bad JSON,
// schema violations, oversize bodies, wrong content types, broken URLs) are translated here, each to
// a documented code below. A fault of a dependency (Postgres or Temporal unreachable, a workflow
// task failing while an update-with-start waits) answers 503 with Retry-After: the same request
// may be repeated safely. Only a bug of the SPC itself answers 500.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ActionError, errorName } from '../client/errors';
import { REJECTION_CODES, type RejectionCode } from '../domain/payment-types';
import { SETTLEMENT_ERROR_CODES, type SettlementErrorCode } from '../domain/settlement-errors';

/**
 * Codes of the HTTP layer, beside the payment rejection codes of domain/payment-types.ts and the
 * refusal tables of settlements, corrections and complaints (domain/settlement-errors.ts,
 * domain/correction-types.ts, domain/complaint-types.ts), which carry their own statuses.
 */
export const API_ERROR_CODES = {
  UNAUTHORIZED: 'missing, unknown or revoked API key',
  KEY_EXPIRED: 'the API key has expired: ask the SPC for a new one',
  KEY_SCOPE: 'the API key may not do this (it lacks the scope the endpoint needs; see docs/bank-api.md)',
  PROVIDER_KEY_REQUIRED: 'a /v1/provider route takes a provider API key (spcp_…), never a bank key (docs/provider-api.md)',
  RATE_LIMITED: 'too many requests with this key (or from this address without one); retry after Retry-After seconds',
  ACCOUNT_SPREAD_LIMITED: 'this key has looked up too many different accounts in the window (api/account-spread.ts); new accounts again after Retry-After seconds',
  NOT_FOUND: 'no such route or resource',
  BAD_REQUEST: 'the HTTP request itself is malformed (URL encoding, headers, method)',
  METHOD_NOT_ALLOWED: 'the route exists but not with this method',
  INVALID_JSON: 'the request body is not valid JSON',
  VALIDATION_FAILED: 'the request does not match the schema of the endpoint',
  PAYLOAD_TOO_LARGE: 'the request body is larger than the endpoint accepts',
  UNSUPPORTED_MEDIA_TYPE: 'the request body has a content type the endpoint does not accept',
  MALFORMED_REGISTER: 'the register file does not follow docs/registers.md',
  REGISTER_NOT_FOUND: 'no register with this id for this bank',
  SETTLEMENT_NOT_FOUND: 'no settlement with this id for this bank',
  LIST_NOT_READY: 'the settlement has no payment list yet',
  MALFORMED_TRANSFERS: 'the transfer report does not follow docs/provider-api.md (JSON or CSV extract); details name the row and field',
  UNKNOWN_BANK: 'the transfer report names a bank the SPC does not know; nothing was recorded',
  STATEMENT_REF_CONFLICT: 'a statement reference of the report was reported before with another bank, day or amount; nothing was recorded',
  TIMEOUT: 'the SPC did not answer in time; repeat the same request',
  UNAVAILABLE: 'a service the SPC depends on is unreachable; retry the same request after Retry-After seconds',
  INTERNAL: 'an internal error of the SPC',
} as const;
import { ECHOED_VALUE_CHARS_MAX, truncateForMessage } from '../domain/echo';

export { truncateForMessage, ECHOED_VALUE_CHARS_MAX };

export type ApiErrorCode = keyof typeof API_ERROR_CODES | RejectionCode | string;

export interface ErrorBody {
  code: ApiErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Thrown by route handlers for an answer other than success; the error handler writes it as is. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly statusCode: number, readonly code: ApiErrorCode, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }

  body(): ErrorBody {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * HTTP status of a payment rejection. 422: the request is well formed but the SPC refuses it for a
 * business reason; 409: it clashes with the state of an existing payment; 404: nothing to act on.
 */
export function statusForRejection(code: RejectionCode): number {
  switch (code) {
    case 'REFERENCE_CONFLICT':
    case 'BANK_DAY_CLOSED':
    case 'PAYMENT_REJECTED':
    case 'PAYMENT_CANCELLED':
    case 'PAYMENT_EXCLUDED':
    case 'PAYMENT_CORRECTED':
      return 409;
    case 'PAYMENT_NOT_FOUND':
      return 404;
    default:
      return 422;
  }
}

export function rejectionError(code: RejectionCode, message: string): ApiError {
  return new ApiError(statusForRejection(code), code, message || REJECTION_CODES[code]);
}

/** A refused settlement action (a confirmation the workflow turned down), with its code's status. */
export function settlementError(code: SettlementErrorCode, message: string): ApiError {
  return new ApiError(SETTLEMENT_ERROR_CODES[code].status, code, message || SETTLEMENT_ERROR_CODES[code].message);
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "body/lines/0/amount" → "lines[0].amount": the field a bank developer looks for in their request. */
function fieldName(context: string | undefined, err: AjvError): string {
  const parts = (err.instancePath ?? '').split('/').filter(Boolean);
  const extra = err.params?.missingProperty ?? err.params?.additionalProperty;
  if (typeof extra === 'string') parts.push(extra);
  const path = parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return path || (context ?? 'body');
}

function validationMessage(context: string | undefined, err: AjvError): string {
  const field = fieldName(context, err);
  const where = context && context !== 'body' ? `${context} ` : '';
  switch (err.keyword) {
    case 'required':
      return `${where}field ${field} is required`;
    case 'additionalProperties':
      return field === 'bankCode'
        ? 'field bankCode is not accepted: the bank is the one of the API key'
        : `${where}field ${field} is not part of this request: remove it`;
    case 'type':
      return `${where}field ${field} must be of type ${String(err.params?.type)}${err.params?.type === 'string' ? ' (amounts are decimal strings such as "1250.50")' : ''}`;
    case 'enum':
      return `${where}field ${field} must be one of ${(err.params?.allowedValues as unknown[] | undefined)?.join(', ') ?? 'the documented values'}`;
    case 'pattern':
      return err.params?.pattern === '^[ -~]*$'
        ? `${where}field ${field} may contain printable ASCII characters only`
        : `${where}field ${field} has an invalid format (expected ${String(err.params?.pattern)})`;
    default:
      return `${where}field ${field} ${err.message ?? 'is invalid'}`;
  }
}

/** Seconds a client should wait before repeating a request that met a fault (the Retry-After header). */
export const RETRY_AFTER_SECONDS = 5;

/** Temporal client errors that mean "the engine could not do it now", not "this request is wrong". */
const UNAVAILABLE_ERROR_NAMES = new Set(['ServiceError', 'ConnectionError', 'TransportError', 'WorkflowUpdateRPCTimeoutOrCancelledError', 'EngineUnavailableError']);
/**
 * gRPC statuses of a fault: CANCELLED 1, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, ABORTED 10 (the
 * server's answer to an update-with-start whose workflow task failed), UNAVAILABLE 14.
 */
const UNAVAILABLE_GRPC_CODES = new Set([1, 4, 8, 10, 14]);
/**
 * Node socket errors and Postgres classes 08 (connection), 53 (resources), 57P (shutdown), and
 * 57014, a statement cancelled by the application pool's statement_timeout (db/connection.ts).
 */
const UNAVAILABLE_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const UNAVAILABLE_PG_CODE_RE = /^(08|53|57P|57014$)/;
const UNAVAILABLE_MESSAGE_RE =
  /Knex: Timeout acquiring a connection|ECONNREFUSED|Connection terminated|Update-with-Start could not be executed|Workflow Task in failed state|connect ETIMEDOUT|Client network socket disconnected/i;
/** How deep the cause chain is searched: the SDK wraps a gRPC error once or twice. */
const CAUSE_DEPTH_MAX = 5;

/** Temporal or Postgres unreachable or failing for now: the request may succeed later, so 503 and not 500. */
export function isUnavailable(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && typeof cur === 'object' && cur !== null; depth++) {
    if (UNAVAILABLE_ERROR_NAMES.has(errorName(cur) ?? '')) return true;
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'number' && UNAVAILABLE_GRPC_CODES.has(code)) return true;
    if (typeof code === 'string' && (UNAVAILABLE_SYSTEM_CODES.has(code) || UNAVAILABLE_PG_CODE_RE.test(code))) return true;
    if (UNAVAILABLE_MESSAGE_RE.test(String((cur as Error).message ?? ''))) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Fastify's own client errors, each with the documented code it answers and a message of ours
 * (fastify's messages name its internals). Any other 4xx fastify raises maps by status below.
 */
const FASTIFY_ERRORS: Record<string, { status: number; code: keyof typeof API_ERROR_CODES; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the request body is not valid JSON: check quotes, commas and brackets' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the request body is empty but its content type is application/json: send a JSON object or no content type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', message: 'the Content-Length header does not match the body' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the Content-Type header is empty: send application/json (registers: text/csv)' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the Content-Type header is not a media type: send application/json (registers: text/csv)' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_REQUEST', message: 'the URL is not validly percent-encoded: encode reserved characters as %XX' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'BAD_REQUEST', message: 'the request does not meet the route\'s constraints' },
  FST_ERR_INVALID_URL: { status: 400, code: 'BAD_REQUEST', message: 'the URL is not valid' },
};

function codeForStatus(status: number): keyof typeof API_ERROR_CODES {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 429:
      return 'RATE_LIMITED';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    default:
      return 'BAD_REQUEST';
  }
}

/** The path of a request for a message: without the query, and cut (a URL may be very long). */
function pathForMessage(url: string): string {
  const pathOnly = url.split('?')[0] ?? '';
  return pathOnly.length > ECHOED_VALUE_CHARS_MAX ? `${pathOnly.slice(0, ECHOED_VALUE_CHARS_MAX)}…` : pathOnly;
}

function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  // A rate limit knows when its window ends (api/rate-limit.ts): that is the Retry-After.
  if (status === 429 && typeof body.details?.retryAfterSeconds === 'number') reply.header('retry-after', String(body.details.retryAfterSeconds));
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Errors fastify raises before routing (a broken URL): the same shape as every other answer. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = FASTIFY_ERRORS[error.code];
  if (known) {
    sendError(reply, known.status, { code: known.code, message: known.message });
    return;
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  sendError(reply, status, { code: codeForStatus(status), message: `the request to ${pathForMessage(request.url)} is malformed` });
}

/** A request the HTTP parser cannot read at all (broken headers): answered on the raw socket, in the same shape. */
export function clientErrorBody(): string {
  const body: ErrorBody = { code: 'BAD_REQUEST', message: 'the HTTP request could not be parsed: check the request line and headers' };
  return JSON.stringify(body);
}

/** Translates every error into {code, message, details?}; installed once on the root instance. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) return sendError(reply, error.statusCode, error.body());
    // A refusal of a client function (client/errors.ts): the status its code has in its table.
    if (error instanceof ActionError) return sendError(reply, error.status, { code: error.code, message: error.message });
    const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
    if (fe.validation && fe.validation.length > 0) {
      const first = fe.validation[0] as AjvError;
      return sendError(reply, 400, {
        code: 'VALIDATION_FAILED',
        message: validationMessage(fe.validationContext, first),
        details: { field: fieldName(fe.validationContext, first), in: fe.validationContext ?? 'body' },
      });
    }
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, { code: 'PAYLOAD_TOO_LARGE', message: `the request body is larger than this endpoint accepts (${String(request.routeOptions.bodyLimit ?? '')} bytes)` });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `content type ${truncateForMessage(request.headers['content-type'] ?? '')} is not accepted here: send ${request.url.startsWith('/v1/registers') ? 'text/csv' : 'application/json'}`,
        });
      default:
        break;
    }
    const known = FASTIFY_ERRORS[fe.code];
    if (known) return sendError(reply, known.status, { code: known.code, message: known.message });
    // Other client errors that fastify raised itself: a documented code by status, and our message.
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      request.log.info({ err: error }, 'fastify client error');
      return sendError(reply, fe.statusCode, { code: codeForStatus(fe.statusCode), message: `the request to ${pathForMessage(request.url)} was refused (${API_ERROR_CODES[codeForStatus(fe.statusCode)]})` });
    }
    if (isUnavailable(error)) {
      request.log.warn({ err: error }, 'dependency unavailable');
      return sendError(reply, 503, { code: 'UNAVAILABLE', message: 'the SPC cannot reach its database or workflow engine right now: retry the same request in a few seconds' });
    }
    request.log.error({ err: error }, 'internal error');
    return sendError(reply, 500, { code: 'INTERNAL', message: 'internal error of the SPC; it has been logged. Retrying the same request is safe.' });
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, { code: 'NOT_FOUND', message: `no route ${request.method} ${pathForMessage(request.url)}: see /docs for the API` }),
  );
}
