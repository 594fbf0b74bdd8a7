// Every error the bank API answers has one shape, {code, message, details?}, and a 4xx status that
// says whose move it is. Nothing a client sends may produce a 5xx: fastify's own errors (bad JSON,
// schema violations, oversize bodies, wrong content types) are translated here, and a 5xx is left
// for faults of the SPC itself (503 when Postgres or Temporal is down, 500 for a bug).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorName } from '../client/errors';
import { REJECTION_CODES, type RejectionCode } from '../domain/payment-types';

/** Codes of the HTTP layer, beside the payment rejection codes of domain/payment-types.ts. */
export const API_ERROR_CODES = {
  UNAUTHORIZED: 'missing, unknown or revoked API key',
  NOT_FOUND: 'no such route or resource',
  INVALID_JSON: 'the request body is not valid JSON',
  VALIDATION_FAILED: 'the request does not match the schema of the endpoint',
  PAYLOAD_TOO_LARGE: 'the request body is larger than the endpoint accepts',
  UNSUPPORTED_MEDIA_TYPE: 'the request body has a content type the endpoint does not accept',
  MALFORMED_REGISTER: 'the register file does not follow docs/registers.md',
  REGISTER_NOT_FOUND: 'no register with this id for this bank',
  SETTLEMENT_NOT_FOUND: 'no settlement with this id for this bank',
  LIST_NOT_READY: 'the settlement has no payment list yet',
  TIMEOUT: 'the SPC did not answer in time; repeat the same request',
  UNAVAILABLE: 'a service the SPC depends on is unreachable; retry later',
  INTERNAL: 'an internal error of the SPC',
} as const;
export { truncateForMessage, ECHOED_VALUE_CHARS_MAX } from '../domain/echo';

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

/** Temporal or Postgres unreachable: the request may succeed later, so 503 and not 500. */
function isUnavailable(err: unknown): boolean {
  const name = errorName(err);
  if (name === 'ServiceError' || name === 'ConnectionError' || name === 'TransportError') return true;
  const code = (err as { code?: unknown })?.code;
  // gRPC UNAVAILABLE (14) / DEADLINE_EXCEEDED (4); Postgres connection failures.
  if (code === 14 || code === 4 || code === 'ECONNREFUSED' || code === '57P01' || code === '57P03') return true;
  const message = String((err as Error)?.message ?? '');
  return /Knex: Timeout acquiring a connection|ECONNREFUSED|Connection terminated/.test(message);
}

function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** Translates every error into {code, message, details?}; installed once on the root instance. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) return sendError(reply, error.statusCode, error.body());
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
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendError(reply, 400, { code: 'INVALID_JSON', message: 'the request body is not valid JSON: check quotes, commas and brackets' });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, { code: 'INVALID_JSON', message: 'the request body is empty but its content type is application/json: send a JSON object or no content type' });
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, { code: 'PAYLOAD_TOO_LARGE', message: `the request body is larger than this endpoint accepts (${String(request.routeOptions.bodyLimit ?? '')} bytes)` });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `content type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted here: send ${request.url.startsWith('/v1/registers') ? 'text/csv' : 'application/json'}`,
        });
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendError(reply, 400, { code: 'VALIDATION_FAILED', message: 'the Content-Length header does not match the body' });
      default:
        break;
    }
    // Other client errors that fastify raised itself (bad URL encoding, a body on GET, ...).
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendError(reply, fe.statusCode, { code: fe.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', message: fe.message });
    }
    if (isUnavailable(error)) {
      request.log.warn({ err: error }, 'dependency unavailable');
      return sendError(reply, 503, { code: 'UNAVAILABLE', message: 'the SPC cannot reach its database or workflow engine right now: retry the same request in a few seconds' });
    }
    request.log.error({ err: error }, 'internal error');
    return sendError(reply, 500, { code: 'INTERNAL', message: 'internal error of the SPC; it has been logged. Retrying the same request is safe.' });
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}: see /docs for the API` }),
  );
}
