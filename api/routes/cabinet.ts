// The households' personal cabinet, /cabinet (issue 20 item 3): a static page (api/static/cabinet.*)
// and JSON under /cabinet/api. Every data route takes the account from the session
// (api/cabinet-auth.ts), never from the URL or the body: no URL names an account, so a household
// can read no other's data and no account number reaches a request log. Hidden from the bank API's
// OpenAPI document. The cabinet never takes money: it shows the QR and where to pay.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { endSession } from '../../db/cabinet';
import { COMPLAINT_TEXT_CHARS_MAX } from '../../domain/complaint-types';
import { FREE_TEXT_PATTERN } from '../../domain/free-text';
import { ACCESS_CODE_INPUT_CHARS_MAX } from '../../domain/access-code';
import { READINGS_WINDOW_DAYS_DEFAULT } from '../../domain/billing-period';
import { PAYMENT_READINGS_MAX } from '../../domain/payment-types';
import { cabinetInvoicePdf, raiseCabinetComplaint, submitCabinetReadings } from '../cabinet-actions';
import { clearSessionCookie, currentSession, preSessionCsrf, requireSession, signIn } from '../cabinet-auth';
import { subscribeCabinetEmail } from '../cabinet-email';
import { linkStateOf, requestSignInLink, signInWithLink } from '../cabinet-link';
import { SIGN_IN_LINK_PATH } from '../cabinet-link-mail';
import { linkConfirmPage, linkRefusedPage } from '../cabinet-link-page';
import { currentInvoiceOf, loadCabinetOverview } from '../cabinet-view';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { invoiceCsp, renderInvoiceHtml } from '../invoice-html';
import { invoiceCssText, loadStaticFiles } from '../static-files';
import { installOperatorRateLimit } from '../rate-limit';

/** The page runs only its own script and talks only to this server; the QR is a data: image. */
export const CABINET_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/** Requests a minute per client address on /cabinet: a household clicks, a scraper floods. */
export const CABINET_REQUESTS_PER_IP_PER_MINUTE = 600;

const hidden = { hide: true } as const;
const period = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' } as const;

const readingsBody = {
  type: 'object', additionalProperties: false, required: ['readings'],
  properties: {
    readings: {
      type: 'array', minItems: 1, maxItems: PAYMENT_READINGS_MAX,
      items: {
        type: 'object', additionalProperties: false, required: ['service', 'value'],
        properties: { service: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,31}$' }, value: { type: 'string', pattern: '^[0-9]{1,11}(\\.[0-9]{1,3})?$' } },
      },
    },
  },
} as const;

const complaintBody = {
  type: 'object', additionalProperties: false, required: ['bankCode', 'bankRef', 'text'],
  properties: {
    bankCode: { type: 'string', pattern: '^[A-Z]{4}$' },
    bankRef: { type: 'string', pattern: '^[A-Za-z0-9._\\-/]{1,64}$' },
    text: { type: 'string', minLength: 1, maxLength: COMPLAINT_TEXT_CHARS_MAX, pattern: FREE_TEXT_PATTERN },
  },
} as const;

const emailBody = {
  type: 'object', additionalProperties: false, required: ['email'],
  properties: { email: { type: 'string', minLength: 3, maxLength: 254 } },
} as const;

const linkQuery = { type: 'object', properties: { token: { type: 'string', maxLength: 64 } } } as const;
/** The link page's form (urlencoded): the token and the CSRF field, nothing else. */
const linkForm = {
  type: 'object', additionalProperties: false,
  properties: { token: { type: 'string', maxLength: 64 }, csrf: { type: 'string', maxLength: 64 } },
} as const;
const FORM_BODY_BYTES_MAX = 1024;

/** The mailed sign-in link (api/cabinet-link.ts): its request, its page (GET) and its use (POST). */
function signInLinkRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // Mails go out after their answer: the server's close waits for those in flight.
  const pending = new Set<Promise<void>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...pending]);
  });
  // The link page's plain form posts urlencoded fields; nothing else of the cabinet does.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_BYTES_MAX }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.post<{ Body: { email: string } }>('/cabinet/api/sign-in-link', { schema: { ...hidden, body: emailBody } }, async (request, reply) => {
    const answer = await requestSignInLink({ db: deps.db, mail: deps.mail, log: request.log, pending }, request, request.body.email);
    return reply.code(202).send(answer);
  });

  app.get<{ Querystring: { token?: string } }>(SIGN_IN_LINK_PATH, { schema: { ...hidden, querystring: linkQuery } }, async (request, reply) => {
    const state = await linkStateOf(deps.db, request.query.token);
    if (state !== 'usable') return linkRefusedPage(reply, CABINET_CSP, state);
    return linkConfirmPage(reply, CABINET_CSP, request.query.token ?? '', preSessionCsrf(request, reply));
  });

  app.post<{ Body: { token?: string; csrf?: string } }>(SIGN_IN_LINK_PATH, { schema: { ...hidden, body: linkForm } }, async (request, reply) => {
    try {
      const used = await signInWithLink(deps.db, request, reply, request.body.token, request.body.csrf);
      if ('refused' in used) return linkRefusedPage(reply, CABINET_CSP, used.refused);
      return reply.code(303).header('location', '/cabinet').send();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'CSRF_FAILED') return linkRefusedPage(reply, CABINET_CSP, 'CSRF_FAILED');
      throw err;
    }
  });
}

export const cabinetRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  await installOperatorRateLimit(app, CABINET_REQUESTS_PER_IP_PER_MINUTE, 'cabinet');
  const files = loadStaticFiles();
  const ctx = { client: deps.client, taskQueue: deps.taskQueue, db: deps.db };
  // The providers' readings window (domain/billing-period.ts): the cabinet takes readings on the same days.
  const windowDays = deps.readingsWindowDays ?? READINGS_WINDOW_DAYS_DEFAULT;
  app.addHook('onSend', async (_request, reply, payload) => {
    // A household's invoice and payments: no shared cache may keep them.
    reply.header('cache-control', 'no-store');
    return payload;
  });

  app.get('/cabinet', { schema: hidden }, async (_request, reply) => {
    const file = files.get('cabinet.html')!;
    return reply.type(file.contentType).header('content-security-policy', CABINET_CSP).send(file.content);
  });

  app.get('/cabinet/api/session', { schema: hidden }, async (request, reply) => {
    const session = await currentSession(deps.db, request);
    if (session) return { signedIn: true, account: session.account, csrfToken: session.csrfToken };
    return { signedIn: false, csrfToken: preSessionCsrf(request, reply) };
  });

  app.post<{ Body: { account: string; code: string } }>('/cabinet/api/sign-in', {
    schema: {
      ...hidden,
      body: {
        type: 'object', additionalProperties: false, required: ['account', 'code'],
        properties: { account: { type: 'string', maxLength: 32 }, code: { type: 'string', maxLength: ACCESS_CODE_INPUT_CHARS_MAX } },
      },
    },
  }, async (request, reply) => signIn(deps.db, request, reply, request.body.account.trim(), request.body.code));

  signInLinkRoutes(app, deps);

  app.post('/cabinet/api/sign-out', { schema: hidden }, async (request, reply) => {
    const session = await requireSession(deps.db, request);
    await endSession(deps.db, session.tokenSha256);
    return reply.header('set-cookie', clearSessionCookie(request)).send({ signedIn: false });
  });

  app.get('/cabinet/api/overview', { schema: hidden }, async (request) => {
    const session = await requireSession(deps.db, request);
    return loadCabinetOverview(deps.db, session.account, windowDays);
  });

  // The invoice image of the cashier page (api/invoice-html.ts), for the session's account.
  app.get('/cabinet/invoice.html', { schema: hidden }, async (request, reply) => {
    const session = await requireSession(deps.db, request);
    const invoice = await currentInvoiceOf(deps.db, session.account);
    if (!invoice) throw new ApiError(404, 'NO_INVOICE', 'this account has no invoice yet');
    const css = invoiceCssText();
    return reply.type('text/html; charset=utf-8').header('content-security-policy', invoiceCsp(css)).send(renderInvoiceHtml(invoice, css));
  });

  app.get<{ Params: { period: string } }>('/cabinet/api/invoices/:period.pdf', {
    schema: { ...hidden, params: { type: 'object', properties: { period } } },
  }, async (request, reply) => {
    const session = await requireSession(deps.db, request);
    const pdf = await cabinetInvoicePdf(deps.db, session.account, request.params.period);
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="invoice-${request.params.period}.pdf"`).send(pdf);
  });

  app.post<{ Body: { readings: Array<{ service: string; value: string }> } }>('/cabinet/api/readings', {
    schema: {
      ...hidden,
      body: readingsBody,
    },
  }, async (request, reply) => {
    const session = await requireSession(deps.db, request);
    const services = new Set(request.body.readings.map((r) => r.service));
    if (services.size !== request.body.readings.length) throw new ApiError(422, 'INVALID_READING', 'a service has two readings');
    const accepted = await submitCabinetReadings(deps.db, session.account, request.body.readings, windowDays);
    return reply.code(201).send({ accepted });
  });

  app.post<{ Body: { bankCode: string; bankRef: string; text: string } }>('/cabinet/api/complaints', {
    schema: {
      ...hidden,
      body: complaintBody,
    },
  }, async (request, reply) => {
    const session = await requireSession(deps.db, request);
    const raised = await raiseCabinetComplaint(ctx, session.account, request.body);
    return reply.code(raised.created ? 201 : 200).send(raised.complaint);
  });

  // Double opt-in: 201 and a confirmation mail for a new (or unconfirmed) address, 200 for one already confirmed.
  app.post<{ Body: { email: string } }>('/cabinet/api/email', { schema: { ...hidden, body: emailBody } }, async (request, reply) => {
    const session = await requireSession(deps.db, request);
    const { created, ...subscription } = await subscribeCabinetEmail(deps.db, deps.mail, session.account, request.body.email);
    return reply.code(created ? 201 : 200).send(subscription);
  });
};
