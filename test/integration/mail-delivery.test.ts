// Invoices by e-mail on the real dev server, Postgres and a real SMTP conversation (issue 20 item 2):
// smtp-server in the test is the relay, mailparser reads what arrived. Double opt-in through the
// confirmation link, the invoice mail with its PDF (text read back with pdftotext, sums checked
// against the database), a 5xx recorded per invoice and address, at most one mail per pair on a
// re-run, and an unsubscribe that stops the next period's mail.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { loadBackOffice } from '../../api/ops-backoffice';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { startMailDelivery } from '../../client/mail-deliveries';
import { submitPayment } from '../../client/payments';
import { subscribe } from '../../db/mail-subscriptions';
import { mailFailures } from '../../db/queries/mail-deliveries';
import { markLaneUncertain } from '../../db/mail-deliveries';
import { mailDeliveryWorkflowId } from '../../domain/mail-delivery-types';
import { MAIL_LANES } from '../../workflows/mail-delivery';
import { currentPeriod } from '../../db/seed/demo';
import { createMailer, type Mailer } from '../../infra/mailer';
import { createAccount, createWorld } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { startHarness, type Harness } from '../support/harness';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const received: ParsedMail[] = [];
const relay = new SMTPServer({
  authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
  onRcptTo(address, _session, callback) {
    if (address.address.startsWith('bounce')) callback(Object.assign(new Error('5.1.1 no such mailbox'), { responseCode: 550 }));
    else callback();
  },
  onData(stream, _session, callback) {
    simpleParser(stream).then((m) => { received.push(m); callback(); }, callback);
  },
});

const period = currentPeriod().slice(0, 7);
const [year, month] = period.split('-').map(Number) as [number, number];
const nextPeriod = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
const ACC = { anna: '7400000001', bounce: '7400000002', carl: '7400000003' };

let h: Harness;
let api: RunningApiServer;
let mailer: Mailer;
const links = { publicUrl: 'http://spc.test', mailFrom: 'invoices@spc.test' };

const mailsTo = (email: string) => received.filter((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === email);
const tokenIn = (text: string, route: string) => new RegExp(`http://spc\\.test${route}\\?token=([A-Za-z0-9_-]+)`).exec(text)?.[1] ?? '';
const visit = (route: string, token: string) => fetch(`${api.url}${route}?token=${token}`).then(async (r) => ({ status: r.status, code: r.headers.get('x-spc-code') }));

async function subscribeConfirmed(account: string, email: string): Promise<void> {
  await subscribe(h.database.appDb, mailer, links, account, email);
  const mail = await waitFor(`confirmation to ${email}`, async () => mailsTo(email.toLowerCase())[0], 30_000, 100);
  expect(await visit('/mail/confirm', tokenIn(mail.text ?? '', '/mail/confirm'))).toEqual({ status: 200, code: 'OK' });
}

beforeAll(async () => {
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  const port = (relay.server.address() as { port: number }).port;
  process.env.SPC_SMTP_URL = `smtp://127.0.0.1:${port}`;
  process.env.SPC_PUBLIC_URL = links.publicUrl;
  process.env.SPC_MAIL_FROM = links.mailFrom;
  mailer = createMailer(process.env.SPC_SMTP_URL);
  h = await startHarness('mail');
  await createWorld(h.database.db);
  for (const number of Object.values(ACC)) {
    await createAccount(h.database.db, { number, holderName: 'Сейткали Әсел', lines: [{ service: 'ELEC', charged: '3100.40', previousReading: '800.000' }, { service: 'WASTE', opening: '25.00', charged: '596.00' }] });
  }
  api = await startApiServer({ db: h.database.appDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port: 0, logger: false });
});

afterAll(async () => {
  mailer?.close();
  await api?.close();
  await h?.close();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

describe('invoices by e-mail', () => {
  it('confirms through the link only, refuses an unknown token, and mails each confirmed address its invoice once; a 5xx is recorded', async () => {
    expect(await visit('/mail/confirm', 'x'.repeat(43))).toEqual({ status: 404, code: 'TOKEN_UNKNOWN' });
    await subscribeConfirmed(ACC.anna, 'Anna@Example.kz');
    await subscribeConfirmed(ACC.carl, 'carl@example.kz');
    // The bounce address never gets its confirmation through the relay, so it is confirmed in the database.
    await expect(subscribe(h.database.appDb, mailer, links, ACC.bounce, 'bounce@example.kz')).rejects.toThrow(/550/);
    await h.database.db('mail_subscriptions').where({ email: 'bounce@example.kz' }).update({ confirmed_at: new Date() });
    // Subscribed but never confirmed: gets nothing.
    await subscribe(h.database.appDb, mailer, links, ACC.anna, 'unconfirmed@example.kz');

    const paid = await submitPayment(h.ctx, { bankCode: 'HSBK', bankRef: `mail-${randomBytes(4).toString('hex')}`, channel: 'cash_desk', account: ACC.anna, amount: '500.00' });
    if (!paid.ok) throw new Error(`payment rejected: ${paid.code}`);

    const summary = await (await startMailDelivery(h.ctx, period)).result();
    expect(summary.byState).toEqual({ sent: 2, failed: 1 });
    await recordHistory(h.client, 'mail-delivery', 'lanes-sent-and-bounced', mailDeliveryWorkflowId(period));
    const failures = await mailFailures(h.database.db, period, 10);
    expect(failures).toEqual([expect.objectContaining({ account: ACC.bounce, email: 'bounce@example.kz', state: 'failed', smtpCode: 550 })]);
    // /ops's back office lists it too, per invoice and address, with the relay's reply.
    const { mailFailures: onOps } = await loadBackOffice(h.database.appDb, new Date(), () => null);
    expect(onOps).toEqual(expect.arrayContaining([expect.objectContaining({ invoiceId: failures[0]?.invoiceId, period, email: 'bounce@example.kz', state: 'failed', smtpCode: 550, error: expect.stringContaining('no such mailbox') })]));

    const [invoiceMail] = mailsTo('anna@example.kz').filter((m) => m.attachments.length > 0);
    expect(invoiceMail?.messageId).toMatch(/^<inv-[0-9]+-[0-9a-f]{16}@spc\.test>$/);
    expect(invoiceMail?.headerLines.find((l) => l.key === 'list-unsubscribe')?.line).toContain('/mail/unsubscribe?token=');
    const pdf = invoiceMail?.attachments[0];
    expect(pdf?.contentType).toBe('application/pdf');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spc-mail-')), 'invoice.pdf');
    fs.writeFileSync(file, pdf?.content as Buffer);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    // 3100.40 + 596.00 + 25.00 due, 500.00 paid: 3221.40 still due, in the PDF and in the body.
    const { rows } = await h.database.db.raw(`SELECT sum(l.amount_due) AS due FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id WHERE i.account_number = ? AND i.period = ?::date`, [ACC.anna, `${period}-01`]);
    expect(rows[0].due).toBe('3721.40');
    expect(text).toContain('Итого к оплате / Барлығы төлеуге: 3221.40 KZT');
    expect(text).toContain('Оплачено / Төленді: 500.00 KZT');
    expect(invoiceMail?.text).toContain('Итого к оплате: 3221.40 KZT');
    expect(mailsTo('unconfirmed@example.kz').filter((m) => m.attachments.length > 0)).toHaveLength(0);

    // A re-run mails nobody twice.
    const before = received.length;
    expect((await (await startMailDelivery(h.ctx, period)).result()).byState).toEqual({ sent: 2, failed: 1 });
    expect(received.length).toBe(before);
  });

  it('stops the next mail after the unsubscribe link', async () => {
    const [carlMail] = mailsTo('carl@example.kz').filter((m) => m.attachments.length > 0);
    expect(await visit('/mail/unsubscribe', tokenIn(carlMail?.text ?? '', '/mail/unsubscribe'))).toEqual({ status: 200, code: 'OK' });
    for (const number of [ACC.anna, ACC.carl]) await createAccount(h.database.db, { number, period: nextPeriod, lines: [{ service: 'WASTE', charged: '596.00' }] });
    const before = { anna: mailsTo('anna@example.kz').length, carl: mailsTo('carl@example.kz').length };
    expect((await (await startMailDelivery(h.ctx, nextPeriod)).result()).byState).toEqual({ sent: 1 });
    expect(mailsTo('anna@example.kz').length).toBe(before.anna + 1);
    expect(mailsTo('carl@example.kz').length).toBe(before.carl);
  });

  it("takes over only its own lane's rows left 'sending' by a dead batch", async () => {
    const rows = await h.database.db('mail_deliveries').where({ period: `${period}-01` }).select<Array<{ invoice_id: string; email: string; state: string }>>('invoice_id', 'email', 'state');
    const laneOf = (r: { invoice_id: string }) => Number(BigInt(r.invoice_id) % BigInt(MAIL_LANES));
    const lane = laneOf(rows[0] as { invoice_id: string });
    // The accounts' invoices are consecutive ids: at least one row is in another lane.
    expect(rows.some((r) => laneOf(r) !== lane)).toBe(true);
    await h.database.db('mail_deliveries').where({ period: `${period}-01` }).update({ state: 'sending' });
    try {
      const taken = await markLaneUncertain(h.database.db, period, { lane, lanes: MAIL_LANES }, new Date());
      const after = await h.database.db('mail_deliveries').where({ period: `${period}-01` }).select<Array<{ invoice_id: string; state: string }>>('invoice_id', 'state');
      expect(taken).toBe(rows.filter((r) => laneOf(r) === lane).length);
      for (const r of after) expect({ id: r.invoice_id, state: r.state }).toEqual({ id: r.invoice_id, state: laneOf(r) === lane ? 'uncertain' : 'sending' });
    } finally {
      for (const r of rows) await h.database.db('mail_deliveries').where({ invoice_id: r.invoice_id, email: r.email }).update({ state: r.state });
    }
  });
});
