// JSON schemas shared by the routes. They validate every request (fastify + ajv, no type coercion:
// an amount sent as a JSON number is refused, not rounded into a string) and they are the OpenAPI
// document at /openapi.json. Limits are written out so that no field is unbounded.
import { BANK_REF_RE, PAYMENT_LINES_MAX, PAYMENT_READINGS_MAX, SERVICE_CODE_RE } from '../domain/payment-types';
import { isRealDate } from '../domain/instant';
import { ApiError } from './errors';

export const AMOUNT_STRING_CHARS_MAX = 32;
export const ACCOUNT_CHARS_MAX = 32;
export const REASON_CHARS_MAX = 200;
export const TRANSFER_REF_CHARS_MAX = 64;
export const CONFIRM_LINES_MAX = 10_000;
/**
 * Printable ASCII: amounts, account numbers, readings and instants never need more, and control
 * characters (a NUL cannot even be stored in Postgres text) never reach the engine.
 */
export const PRINTABLE_ASCII = '^[ -~]*$';

/** Shared schemas registered with app.addSchema; referenced as { $ref: '<id>#' }. */
export const sharedSchemas = [
  {
    $id: 'Error',
    type: 'object',
    description: 'Every error answer. `code` is stable and machine-readable; `message` says what to fix.',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', example: 'VALIDATION_FAILED' },
      message: { type: 'string' },
      details: { type: 'object', additionalProperties: true },
    },
  },
  {
    $id: 'Amount',
    type: 'string',
    description: 'KZT as a decimal string with two fraction digits, e.g. "1250.50". Never a JSON number.',
    example: '1250.50',
  },
  {
    $id: 'Allocation',
    type: 'object',
    required: ['service', 'provider', 'amount'],
    properties: { service: { type: 'string' }, provider: { type: 'string' }, amount: { $ref: 'Amount#' } },
  },
] as const;

export const errorResponse = { $ref: 'Error#' } as const;

/** Error answers every authenticated route may give. */
export const commonErrors = {
  400: errorResponse,
  401: errorResponse,
  503: errorResponse,
} as const;

export const bankRefParam = {
  type: 'string',
  pattern: BANK_REF_RE.source,
  description: 'The bank\'s own reference of the payment (its idempotency key): 1-64 of A-Z a-z 0-9 . _ - /',
} as const;

/** One `{ service, <field> }` entry of a payment: a per-service amount or a meter reading, the value a decimal string. */
function serviceValueItem<F extends string>(field: F, example: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['service', field],
    properties: {
      service: { type: 'string', pattern: SERVICE_CODE_RE.source, example: 'ELEC' },
      [field]: { type: 'string', minLength: 1, maxLength: AMOUNT_STRING_CHARS_MAX, pattern: PRINTABLE_ASCII, example },
    },
  } as const;
}

export const paymentRequestBody = {
  type: 'object',
  additionalProperties: false,
  required: ['bankRef', 'account', 'channel', 'amount'],
  properties: {
    bankRef: bankRefParam,
    account: { type: 'string', minLength: 1, maxLength: ACCOUNT_CHARS_MAX, pattern: PRINTABLE_ASCII, description: 'Personal account number (6-16 digits).', example: '1000000001' },
    channel: { type: 'string', enum: ['cash_desk', 'online', 'kiosk'], description: 'Where the bank accepted the money (registers use POST /v1/registers).' },
    amount: { type: 'string', minLength: 1, maxLength: AMOUNT_STRING_CHARS_MAX, pattern: PRINTABLE_ASCII, description: 'Total paid, e.g. "1500.00".', example: '1500.00' },
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: PAYMENT_LINES_MAX,
      description: 'Per-service amounts; they must sum to `amount`. Omitted: the total is split in proportion to the amounts due.',
      items: serviceValueItem('amount', '1000.00'),
    },
    readings: {
      type: 'array',
      maxItems: PAYMENT_READINGS_MAX,
      description: 'Meter readings from the invoice, up to 3 fraction digits.',
      items: serviceValueItem('value', '12345.600'),
    },
    paidAt: { type: 'string', minLength: 1, maxLength: 40, pattern: PRINTABLE_ASCII, description: 'ISO-8601 instant the bank accepted the money; default: now.', example: '2026-11-27T10:15:00+05:00' },
  },
} as const;

export const paymentAcceptedResponse = {
  type: 'object',
  required: ['paymentId', 'bankRef', 'status', 'businessDate', 'amount', 'allocations', 'closesAt'],
  properties: {
    paymentId: { type: 'string', example: 'payment:HSBK:CASH-0001' },
    bankRef: { type: 'string' },
    status: { type: 'string', enum: ['accepted'] },
    businessDate: { type: 'string', format: 'date' },
    amount: { $ref: 'Amount#' },
    allocations: { type: 'array', items: { $ref: 'Allocation#' } },
    closesAt: { type: 'string', description: 'Instant after which the payment can no longer be cancelled (the bank-day cut-off).' },
  },
} as const;

export const paginationQuery = {
  after: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'Return rows after this line number (for the next page: `page.nextAfter`).' },
  limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'Rows per page, 1-1000 (default 100).' },
} as const;

/** A `date` query parameter: the schema checks the shape, businessDateOfQuery that the day exists. */
export const businessDateQuery = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Business date YYYY-MM-DD (a real calendar date)' } as const;

/**
 * The `date` query parameter as a real calendar date, or undefined when absent. The pattern alone
 * lets 2026-13-45 through, and Postgres would answer it with an error (a 500): refuse it here, 400.
 */
export function businessDateOfQuery(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isRealDate(value)) {
    throw new ApiError(400, 'VALIDATION_FAILED', `querystring field date must be a real calendar date as YYYY-MM-DD, got ${JSON.stringify(value.slice(0, 10))}`, { field: 'date', in: 'querystring' });
  }
  return value;
}

export const SETTLEMENT_ID_DESCRIPTION =
  'Settlement id `<BANK>:<YYYY-MM-DD>` (the colon may be sent as is or URL-encoded as %3A) or the same with a dash, `<BANK>-<YYYY-MM-DD>`.';

/**
 * A preValidation hook for endpoints whose JSON body is optional or may be sent without content:
 * no body reads as {}, so the schema (and the handler) see an object.
 */
export async function emptyBodyAsObject(request: { body: unknown }): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}
