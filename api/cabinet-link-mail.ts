// The mail of the cabinet's one-time sign-in link (api/cabinet-link.ts), in Russian and Kazakh: one
// link per account whose confirmed subscription has the address, each naming its account.
import type { IssuedLink } from '../db/cabinet-sign-in-links';
import { sha256Hex } from '../db/cabinet';
import type { OutgoingMail } from '../infra/mailer';
import type { SubscriptionLinks } from '../db/mail-subscriptions';

/** The path of a link: GET shows the confirmation page, POST uses the token. */
export const SIGN_IN_LINK_PATH = '/cabinet/link';

export function signInLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl}${SIGN_IN_LINK_PATH}?token=${token}`;
}

export function signInLinkMail(links: SubscriptionLinks, address: string, issued: readonly IssuedLink[], lifetimeMinutes: number): OutgoingMail {
  const first = issued[0];
  if (!first) throw new Error('invariant: a sign-in mail has at least one link');
  const lines = issued.flatMap((l) => [`Лицевой счёт / Дербес шот ${l.account}:`, signInLinkUrl(links.publicUrl, l.token), '']);
  return {
    from: links.mailFrom, to: address,
    // Fixed per link, so a relay or the recipient can tell a repeat; the token's hash, never the token.
    messageId: `<sign-in-${sha256Hex(first.token).slice(0, 24)}@${links.mailFrom.split('@')[1] ?? 'spc.local'}>`,
    subject: 'Вход в личный кабинет / Жеке кабинетке кіру',
    text: [
      `Чтобы войти в личный кабинет, откройте ссылку и нажмите «Войти». Ссылка действует ${lifetimeMinutes} минут и только один раз.`,
      `Жеке кабинетке кіру үшін сілтемені ашып, «Кіру» түймесін басыңыз. Сілтеме ${lifetimeMinutes} минут және тек бір рет жарамды.`,
      '', ...lines,
      'Если вы не запрашивали вход, ничего не делайте. / Егер кіруді сұрамаған болсаңыз, ештеңе жасамаңыз.',
    ].join('\n'),
  };
}
