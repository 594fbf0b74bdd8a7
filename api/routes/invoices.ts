// Invoice look-up: any authenticated bank may read any account's invoice (the payer brings it to
// whichever bank they like). JSON for systems, HTML for the invoice image.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AccountSpreadLimiter } from '../account-spread';
import type { ApiDeps } from '../deps';
import { invoiceResponseSchema, loadInvoiceView } from '../invoice';
import { invoiceCsp, renderInvoiceHtml } from '../invoice-html';
import { invoiceCssText } from '../static-files';
import { ACCOUNT_CHARS_MAX, commonErrors, errorResponse } from '../schemas';

const accountParams = {
  type: 'object',
  required: ['account'],
  properties: { account: { type: 'string', maxLength: ACCOUNT_CHARS_MAX, description: 'Personal account number (6-16 digits)', example: '1000000001' } },
} as const;

export const invoiceRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  // One limiter for both forms: the JSON and the image of an account are one look-up of its payer.
  const spread = new AccountSpreadLimiter(deps.accountSpread);
  const lookUp = (request: FastifyRequest<{ Params: { account: string } }>) => {
    // requireBank (api/server.ts) has refused requests without a key before a handler runs.
    spread.check(request.bank!.keyId, request.params.account);
    return loadInvoiceView(deps.db, request.params.account);
  };
  app.get<{ Params: { account: string } }>(
    '/accounts/:account/invoice',
    {
      config: { scope: 'lookup' },
      schema: {
        tags: ['invoices'],
        summary: 'The account\'s current invoice: amounts due per service and previous meter readings',
        security: [{ bearerAuth: [] }],
        params: accountParams,
        response: { 200: invoiceResponseSchema, 404: errorResponse, ...commonErrors },
      },
    },
    async (request) => lookUp(request),
  );

  app.get<{ Params: { account: string } }>(
    '/accounts/:account/invoice.html',
    {
      config: { scope: 'lookup' },
      schema: {
        tags: ['invoices'],
        summary: 'The invoice image («Единый счёт-извещение») as printable HTML, laid out like the paper invoice',
        security: [{ bearerAuth: [] }],
        params: accountParams,
        produces: ['text/html'],
        response: { 200: { type: 'string', description: 'text/html; charset=utf-8' }, 404: errorResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const invoice = await lookUp(request);
      const css = invoiceCssText();
      return reply.type('text/html; charset=utf-8').header('content-security-policy', invoiceCsp(css)).send(renderInvoiceHtml(invoice, css));
    },
  );
};
