// `spc bank webhook set|clear|rotate-secret`: where a bank's pushes go (payment lists, complaint
// changes) and the secret they are signed with (db/webhook-secrets.ts). Operator actions, recorded
// in operator_audit without the secret; a secret is printed once, alone on stdout, like a key.
import type { Command } from 'commander';
import { WEBHOOK_SECRET_GRACE_MS, WebhookSettingError, rotateWebhookSecret, setBankWebhook } from '../../db/webhook-secrets';
import { recordOperatorAction } from '../../db/operator-audit';
import { operatorOf } from '../operator-action';
import { CliError, type Runtime } from '../runtime';

const GRACE_HOURS = WEBHOOK_SECRET_GRACE_MS / 3_600_000;

function printSecret(bank: string, secret: string, why: string): void {
  process.stderr.write(`${why} for bank ${bank}; give it to the bank to verify X-SPC-Signature (docs/bank-api.md). It is shown once, store it now:\n`);
  process.stdout.write(`${secret}\n`);
}

export function registerWebhookCommands(bank: Command, rt: Runtime): void {
  const webhook = bank.command('webhook').description('the bank\'s webhook (payment lists, complaint changes) and its signing secret');

  webhook
    .command('set')
    .description('set the webhook URL (https://, or http:// to a loopback address; never a private, link-local or metadata IP); a bank without a signing secret gets one, printed once')
    .requiredOption('--bank <code>', 'bank code, e.g. HSBK')
    .requiredOption('--url <url>', 'where the SPC POSTs, e.g. https://spc-hooks.bank.kz/lists')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: { bank: string; url: string; operator?: string }) => {
      const operator = await operatorOf(rt, 'bank webhook set', opts.operator);
      const db = await rt.db();
      try {
        const set = await setBankWebhook(db, opts.bank, opts.url);
        await recordOperatorAction(db, { operator, action: 'bank.webhook.set', args: { bank: opts.bank, url: set.url, secretCreated: set.secret !== undefined } });
        process.stderr.write(`webhook of ${opts.bank}: ${set.url}\n`);
        if (set.secret) printSecret(opts.bank, set.secret, 'created the webhook signing secret');
      } catch (err) {
        if (!(err instanceof WebhookSettingError)) throw err;
        await recordOperatorAction(db, { operator, action: 'bank.webhook.set', args: { bank: opts.bank }, outcome: `refused: ${err.message}` });
        throw new CliError(err.message);
      }
    });

  webhook
    .command('clear')
    .description('stop pushing to the bank (it fetches its lists through the API)')
    .requiredOption('--bank <code>', 'bank code')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: { bank: string; operator?: string }) => {
      const operator = await operatorOf(rt, 'bank webhook clear', opts.operator);
      const db = await rt.db();
      try {
        await setBankWebhook(db, opts.bank, null);
      } catch (err) {
        if (err instanceof WebhookSettingError) throw new CliError(err.message);
        throw err;
      }
      await recordOperatorAction(db, { operator, action: 'bank.webhook.clear', args: { bank: opts.bank } });
      process.stderr.write(`webhook of ${opts.bank} cleared\n`);
    });

  webhook
    .command('rotate-secret')
    .description(`a new signing secret, printed once; the previous one keeps signing beside it for ${GRACE_HOURS} hours`)
    .requiredOption('--bank <code>', 'bank code')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: { bank: string; operator?: string }) => {
      const operator = await operatorOf(rt, 'bank webhook rotate-secret', opts.operator);
      const db = await rt.db();
      let secret: string;
      try {
        secret = await rotateWebhookSecret(db, opts.bank);
      } catch (err) {
        if (err instanceof WebhookSettingError) throw new CliError(err.message);
        throw err;
      }
      await recordOperatorAction(db, { operator, action: 'bank.webhook.rotate_secret', args: { bank: opts.bank, graceHours: GRACE_HOURS } });
      printSecret(opts.bank, secret, `rotated the webhook signing secret (the previous one signs too for ${GRACE_HOURS} hours)`);
    });
}
