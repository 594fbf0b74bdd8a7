// The pages of a mailed sign-in link (api/cabinet-link.ts), in Russian and Kazakh at once (the
// household may not have chosen a language yet): the confirmation page with its one button, and
// the refusal pages, whose code is in the page (data-code) and in the X-SPC-Code header.
import type { FastifyReply } from 'fastify';
import type { SignInLinkState } from '../db/cabinet-sign-in-links';
import { SIGN_IN_LINK_PATH } from './cabinet-link-mail';

export type LinkRefusal = Exclude<SignInLinkState, 'usable'> | 'CSRF_FAILED';

const REFUSALS: Record<LinkRefusal, { status: number; ru: string; kk: string }> = {
  LINK_UNKNOWN: {
    status: 404, ru: 'Ссылка не найдена: откройте её точно так, как она пришла в письме, или запросите новую на странице входа.',
    kk: 'Сілтеме табылмады: оны хаттағыдай ашыңыз немесе кіру бетінде жаңасын сұраңыз.',
  },
  LINK_USED: {
    status: 410, ru: 'Эта ссылка уже использована: по каждой ссылке можно войти один раз. Запросите новую на странице входа.',
    kk: 'Бұл сілтеме қолданылған: әр сілтеме арқылы бір рет қана кіруге болады. Кіру бетінде жаңасын сұраңыз.',
  },
  LINK_EXPIRED: {
    status: 410, ru: 'Срок действия ссылки истёк. Запросите новую на странице входа.',
    kk: 'Сілтеменің мерзімі өтті. Кіру бетінде жаңасын сұраңыз.',
  },
  LINK_REVOKED: {
    status: 410, ru: 'Этот адрес больше не подписан на счета лицевого счёта: ссылка не действует.',
    kk: 'Бұл мекенжай енді дербес шоттың шоттарына жазылмаған: сілтеме жарамсыз.',
  },
  CSRF_FAILED: {
    status: 403, ru: 'Страница устарела. Откройте ссылку из письма ещё раз.',
    kk: 'Бет ескірді. Хаттағы сілтемені қайта ашыңыз.',
  },
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function send(reply: FastifyReply, status: number, code: string, csp: string, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('x-spc-code', code).header('content-security-policy', csp)
    // The token is in this page's URL: no other site learns it from a Referer.
    .header('referrer-policy', 'no-referrer')
    .send('<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
      + '<title>Личный кабинет — ЕРЦ</title><link rel="stylesheet" href="/static/cabinet.css"></head>'
      + `<body><main data-code="${esc(code)}"><section class="card">${body}</section></main></body></html>\n`);
}

/** The page a link opens: nothing is used until its button is pressed. */
export function linkConfirmPage(reply: FastifyReply, csp: string, token: string, csrf: string): FastifyReply {
  return send(reply, 200, 'SIGN_IN_LINK', csp, '<h1>Вход в личный кабинет <span lang="kk">/ Жеке кабинетке кіру</span></h1>'
    + '<p>Нажмите «Войти», чтобы открыть личный кабинет.</p><p lang="kk">Жеке кабинетті ашу үшін «Кіру» түймесін басыңыз.</p>'
    + `<form id="link-sign-in" method="post" action="${SIGN_IN_LINK_PATH}">`
    + `<input type="hidden" name="token" value="${esc(token)}"><input type="hidden" name="csrf" value="${esc(csrf)}">`
    + '<button type="submit" class="primary">Войти / Кіру</button></form>');
}

export function linkRefusedPage(reply: FastifyReply, csp: string, code: LinkRefusal): FastifyReply {
  const r = REFUSALS[code];
  return send(reply, r.status, code, csp, `<p id="link-refused">${esc(r.ru)}</p><p lang="kk">${esc(r.kk)}</p>`
    + `<p><span class="code">${esc(code)}</span></p><p><a href="/cabinet">На страницу входа / Кіру бетіне</a></p>`);
}
