// The SPC's HTTP server: the bank API (/v1, API-key authenticated), the cashier workplace
// (/cashier), the OpenAPI document (/openapi.json, browsable at /docs), /health, /livez, /readyz and
// the Prometheus /metrics. Route groups are fastify plugins in api/routes/*.ts, registered here.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ApiKeyAuthenticator, assertRouteHasScope, identifyBankHook, requireBankHook } from './auth';
import { RATE_LIMITS_DEFAULT, installOperatorRateLimit, installRateLimit } from './rate-limit';
import type { ApiDeps } from './deps';
import { clientErrorBody, frameworkErrorHandler, installErrorHandlers } from './errors';
import { sharedSchemas } from './schemas';
import { healthRoutes } from './routes/health';
import { cashierRoutes } from './routes/cashier';
import { cabinetRoutes } from './routes/cabinet';
import { bankRoutes } from './routes/bank';
import { invoiceRoutes } from './routes/invoices';
import { paymentRoutes } from './routes/payments';
import { registerRoutes } from './routes/registers';
import { settlementRoutes } from './routes/settlements';
import { opsRoutes } from './routes/ops';
import { complaintRoutes } from './routes/complaints';
import { mailRoutes } from './routes/mail';
import { installApiMetrics } from './metrics';
import { codecRoutes, uiOrigins, type CodecRouteOptions } from './routes/codec';
import { redactText } from '../infra/log';
import { PROVIDER_KEY_SECURITY, providerApi } from './routes/provider';

export type { ApiDeps } from './deps';

/** JSON request bodies: a payment is well under 8 KiB; 64 KiB leaves room and nothing more. */
export const JSON_BODY_BYTES_MAX = 64 * 1024;
/** A whole request (headers and body) must arrive within this time: slow senders do not hold sockets. */
export const REQUEST_TIMEOUT_MS = 120_000;
/** A socket with no traffic this long is closed; above REQUEST_TIMEOUT_MS, so a slow request gets its 408 first. */
export const CONNECTION_TIMEOUT_MS = 130_000;
/** Longest URL parameter (fastify's router default is 100). */
export const PARAM_CHARS_MAX = 100;

export const API_VERSION = '1.0.0';

/**
 * The docs page (Swagger UI) and its assets: scripts only from this server (Swagger UI's index loads
 * its initializer as a file, no inline script); inline styles stay allowed because the UI sets them
 * on the elements it renders; the SVG icons are data: URLs.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** fastify's own (pino) request lines: the URL masked like every SpcLogger line (no token, no codec value). */
const requestSerializers = {
  req: (req: { method: string; url: string; id?: string }) => ({ method: req.method, url: redactText(req.url), id: req.id }),
};

function loggerOptions(logger: ApiDeps['logger']): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (logger === undefined) return { logger: { level: 'warn', serializers: requestSerializers } };
  if (typeof logger === 'boolean') return { logger: logger && { serializers: requestSerializers } };
  // An SpcLogger (infra/log.ts) redacts the request it is handed itself.
  return { loggerInstance: logger };
}

/** Builds the server with every route; call .listen() (or startApiServer), or .inject() in tests. */
export function buildApiServer(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    ...loggerOptions(deps.logger),
    bodyLimit: JSON_BODY_BYTES_MAX,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    routerOptions: { maxParamLength: PARAM_CHARS_MAX },
    // Errors fastify raises before routing (a URL that is not validly percent-encoded) and requests
    // the HTTP parser cannot read get the API's one error shape, not fastify's own.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler: (_err, socket) => {
      if (!socket.writable) return;
      const body = clientErrorBody();
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    ajv: {
      // No coercion: "amount": 1000 is refused (money is a string), not turned into "1000".
      // No removal of unknown fields: they are refused by additionalProperties: false.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, strict: false },
    },
  }) as unknown as FastifyInstance;

  installErrorHandlers(app);
  installApiMetrics(app);
  for (const schema of sharedSchemas) app.addSchema(schema);
  app.decorateRequest('bank', null);
  app.decorateRequest('provider', null);
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    // Bank answers carry payers' names and addresses: no shared cache may keep them.
    if (request.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'SPC bank API',
        version: API_VERSION,
        description:
          'The Single Processing Center\'s API for banks: invoice look-up, payments, day registers, settlements and payment lists. ' +
          'Authenticate with `Authorization: Bearer <API key>` (issued by the SPC: `spc bank key create --bank <CODE>`). ' +
          'Amounts are decimal strings with two fraction digits. Errors are `{code, message, details?}`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'Bank API key' }, providerKey: PROVIDER_KEY_SECURITY } },
      tags: [
        { name: 'invoices', description: 'Look up what a personal account owes' },
        { name: 'payments', description: 'Submit, inspect and cancel payments' },
        { name: 'registers', description: 'A day\'s register of payments as one CSV file' },
        { name: 'settlements', description: 'The daily settlement: payment lists and transfer confirmation' },
        { name: 'complaints', description: 'Complaints about payments: raise and follow them' },
        { name: 'bank', description: 'The authenticated bank' },
        { name: 'provider', description: 'The provider API: providers authenticate with provider keys (docs/provider-api.md)' },
        { name: 'service', description: 'Health' },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true }, staticCSP: DOCS_CSP });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Health, the cashier page, the households' cabinet (each a plugin scope: the cabinet's per-IP limit is its own),
  // the links in households' mail (api/routes/mail.ts).
  for (const routes of [healthRoutes, cashierRoutes, cabinetRoutes, mailRoutes]) app.register(routes, deps);

  const authenticator = new ApiKeyAuthenticator(deps.db, { lookupsPerSourcePerMinute: (deps.rateLimit ?? RATE_LIMITS_DEFAULT).anonymousPerMinute });
  app.register(
    async (v1) => {
      // Order matters (api/auth.ts, api/rate-limit.ts): identify the key, count the request, then refuse.
      v1.addHook('onRoute', assertRouteHasScope);
      v1.addHook('onRequest', identifyBankHook(authenticator));
      await installRateLimit(v1, deps.rateLimit);
      v1.addHook('preParsing', requireBankHook());
      v1.register(bankRoutes, deps);
      v1.register(invoiceRoutes, deps);
      v1.register(paymentRoutes, deps);
      v1.register(registerRoutes, deps);
      v1.register(settlementRoutes, deps);
      v1.register(complaintRoutes, deps);
    },
    { prefix: '/v1' },
  );

  // The provider API: a sibling of the bank routes, so that neither kind of key passes the other's hook.
  app.register(async (scope) => scope.register(providerApi, deps), { prefix: '/v1/provider' });

  // The operator routes share a per-IP rate limit (api/rate-limit.ts), in a scope of their own.
  app.register(async (operatorScope) => {
    await installOperatorRateLimit(operatorScope, deps.operatorRateLimitPerMinute);
    // Operator page (api/routes/ops.ts, behind deps.operatorToken).
    operatorScope.register(opsRoutes, deps);
    // Temporal's remote codec (api/routes/codec.ts), for a person: their token, or their /ops session from the UI (cross-origin).
    operatorScope.register(codecRoutes, codecOptionsOf(deps));
  });

  return app;
}

export interface RunningApiServer {
  app: FastifyInstance;
  /** Base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  close(): Promise<void>;
}

/** The codec routes' options from the server's deps (api/routes/codec.ts). */
function codecOptionsOf(deps: ApiDeps): CodecRouteOptions {
  return {
    db: deps.db, payloadCodec: deps.payloadCodec, corsOrigins: uiOrigins(deps.temporalUiUrl),
    audit: deps.codecAudit, decodesPerMinuteMax: deps.codecDecodesPerMinuteMax,
  };
}

/** Builds the server and listens on host:port (port 0: any free port; the URL says which). */
export async function startApiServer(deps: ApiDeps & { host: string; port: number }): Promise<RunningApiServer> {
  const app = buildApiServer(deps);
  await app.listen({ host: deps.host, port: deps.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : deps.port;
  const host = deps.host === '0.0.0.0' || deps.host === '::' ? '127.0.0.1' : deps.host;
  return { app, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => app.close() };
}
