// The links in households' mail (issue 20 item 2): GET /mail/confirm?token= confirms a subscription
// (double opt-in), GET /mail/unsubscribe?token= stops invoice mail; POST /mail/unsubscribe is the
// one-click unsubscribe of RFC 8058 that mail clients call from the List-Unsubscribe header. The
// answer is a short page in Russian and Kazakh; a refused link is a 4xx whose code is in the page
// (data-code) and in the X-SPC-Code header. Request logs mask the token (infra/log.ts).
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ApiDeps } from '../deps';
import { MailSubscriptionError, confirm, unsubscribe } from '../../db/mail-subscriptions';

const querySchema = { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 64 } } } as const;

function page(reply: FastifyReply, status: number, code: string, ru: string, kk: string): FastifyReply {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('x-spc-code', code).header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(`<!doctype html><html lang="ru"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>SPC</title><main data-code="${esc(code)}"><p>${esc(ru)}</p><p lang="kk">${esc(kk)}</p></main></html>`);
}

async function answer(reply: FastifyReply, run: () => Promise<unknown>, done: { ru: string; kk: string }): Promise<FastifyReply> {
  try {
    await run();
    return page(reply, 200, 'OK', done.ru, done.kk);
  } catch (err) {
    if (err instanceof MailSubscriptionError) return page(reply, err.code === 'TOKEN_EXPIRED' ? 410 : 404, err.code, err.message, 'Сілтеме жарамсыз / Ссылка недействительна');
    throw err;
  }
}

export const mailRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const schema = { hide: true, querystring: querySchema };
  app.get<{ Querystring: { token: string } }>('/mail/confirm', { schema }, (request, reply) =>
    answer(reply, () => confirm(deps.db, request.query.token), { ru: 'Подписка подтверждена: счета будут приходить на этот адрес.', kk: 'Жазылу расталды: шоттар осы мекенжайға келеді.' }));
  const unsubscribed = { ru: 'Вы отписались: счета больше не будут приходить на этот адрес.', kk: 'Сіз жазылымнан бас тарттыңыз: шоттар бұл мекенжайға енді келмейді.' };
  app.get<{ Querystring: { token: string } }>('/mail/unsubscribe', { schema }, (request, reply) => answer(reply, () => unsubscribe(deps.db, request.query.token), unsubscribed));
  app.post<{ Querystring: { token: string } }>('/mail/unsubscribe', { schema }, (request, reply) => answer(reply, () => unsubscribe(deps.db, request.query.token), unsubscribed));
};
