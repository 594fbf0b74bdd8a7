// `spc bank webhook set|clear|rotate-secret` and `spc provider webhook set|clear|rotate-secret`:
// where a bank's pushes go (payment lists, complaint changes) or a provider's (its daily registers),
// and the secret they are signed with (db/webhook-secrets.ts, db/provider-webhooks.ts). Operator
// actions, recorded in operator_audit without the secret; a secret is printed once, alone on stdout,
// like a key.
import type { Command } from 'commander';
import { WEBHOOK_SECRET_GRACE_MS, WebhookSettingError, rotateWebhookSecret, setBankWebhook } from '../../db/webhook-secrets';
import { rotateProviderWebhookSecret, setProviderWebhook } from '../../db/provider-webhooks';
import { recordOperatorAction } from '../../db/operator-audit';
import type { Db } from '../../db/connection';
import { operatorOf } from '../operator-action';
import { CliError, type Runtime } from '../runtime';

const GRACE_HOURS = WEBHOOK_SECRET_GRACE_MS / 3_600_000;

/** Whose webhook the commands set: the one difference between the bank's and the provider's. */
interface WebhookOwner {
  kind: 'bank' | 'provider';
  /** The commander option naming the owner, and an example value. */
  option: string;
  example: string;
  pushes: string;
  doc: string;
  urlExample: string;
  set(db: Db, id: string, url: string | null): Promise<{ url: string | null; secret?: string }>;
  rotate(db: Db, id: string): Promise<string>;
}

export const BANK_WEBHOOK: WebhookOwner = {
  kind: 'bank', option: 'bank', example: 'HSBK', pushes: 'payment lists, complaint changes', doc: 'docs/bank-api.md', urlExample: 'https://spc-hooks.bank.kz/lists',
  set: setBankWebhook, rotate: (db, id) => rotateWebhookSecret(db, id),
};

export const PROVIDER_WEBHOOK: WebhookOwner = {
  kind: 'provider', option: 'provider', example: 'ALMATY_SU', pushes: 'daily registers', doc: 'docs/provider-api.md', urlExample: 'https://hooks.provider.kz/spc/registers',
  set: setProviderWebhook, rotate: (db, id) => rotateProviderWebhookSecret(db, id),
};

function printSecret(owner: WebhookOwner, id: string, secret: string, why: string): void {
  process.stderr.write(`${why} for ${owner.kind} ${id}; give it to the ${owner.kind} to verify X-SPC-Signature (${owner.doc}). It is shown once, store it now:\n`);
  process.stdout.write(`${secret}\n`);
}

type Opts = Record<string, string | undefined> & { operator?: string };

export function registerWebhookCommands(parent: Command, rt: Runtime, owner: WebhookOwner = BANK_WEBHOOK): void {
  const webhook = parent.command('webhook').description(`the ${owner.kind}'s webhook (${owner.pushes}) and its signing secret`);
  const idOf = (opts: Opts) => opts[owner.option] as string;

  webhook
    .command('set')
    .description(`set the webhook URL (https://, or http:// to a loopback address; never a private, link-local or metadata IP); a ${owner.kind} without a signing secret gets one, printed once`)
    .requiredOption(`--${owner.option} <id>`, `${owner.kind}, e.g. ${owner.example}`)
    .requiredOption('--url <url>', `where the SPC POSTs, e.g. ${owner.urlExample}`)
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: Opts) => {
      const id = idOf(opts);
      const operator = await operatorOf(rt, `${owner.kind} webhook set`, opts.operator);
      const db = await rt.db();
      try {
        const set = await owner.set(db, id, opts.url as string);
        await recordOperatorAction(db, { operator, action: `${owner.kind}.webhook.set`, args: { [owner.kind]: id, url: set.url, secretCreated: set.secret !== undefined } });
        process.stderr.write(`webhook of ${id}: ${set.url}\n`);
        if (set.secret) printSecret(owner, id, set.secret, 'created the webhook signing secret');
      } catch (err) {
        if (!(err instanceof WebhookSettingError)) throw err;
        await recordOperatorAction(db, { operator, action: `${owner.kind}.webhook.set`, args: { [owner.kind]: id }, outcome: `refused: ${err.message}` });
        throw new CliError(err.message);
      }
    });

  webhook
    .command('clear')
    .description(`stop pushing to the ${owner.kind} (it fetches through the API)`)
    .requiredOption(`--${owner.option} <id>`, owner.kind)
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: Opts) => {
      const id = idOf(opts);
      const operator = await operatorOf(rt, `${owner.kind} webhook clear`, opts.operator);
      const db = await rt.db();
      try {
        await owner.set(db, id, null);
      } catch (err) {
        if (err instanceof WebhookSettingError) throw new CliError(err.message);
        throw err;
      }
      await recordOperatorAction(db, { operator, action: `${owner.kind}.webhook.clear`, args: { [owner.kind]: id } });
      process.stderr.write(`webhook of ${id} cleared\n`);
    });

  webhook
    .command('rotate-secret')
    .description(`a new signing secret, printed once; the previous one keeps signing beside it for ${GRACE_HOURS} hours`)
    .requiredOption(`--${owner.option} <id>`, owner.kind)
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: Opts) => {
      const id = idOf(opts);
      const operator = await operatorOf(rt, `${owner.kind} webhook rotate-secret`, opts.operator);
      const db = await rt.db();
      let secret: string;
      try {
        secret = await owner.rotate(db, id);
      } catch (err) {
        if (err instanceof WebhookSettingError) throw new CliError(err.message);
        throw err;
      }
      await recordOperatorAction(db, { operator, action: `${owner.kind}.webhook.rotate_secret`, args: { [owner.kind]: id, graceHours: GRACE_HOURS } });
      printSecret(owner, id, secret, `rotated the webhook signing secret (the previous one signs too for ${GRACE_HOURS} hours)`);
    });
}
