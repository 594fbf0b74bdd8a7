// Bank commands: `spc bank list`, `spc bank key create|revoke|list`, `spc bank webhook
// set|clear|rotate-secret` (operator actions, audited; secrets are printed once and never audited).
// `spc api`, the HTTP server as a process of its own, is in processes.ts beside worker and keeper.
import type { Command } from 'commander';
import { ApiKeyNotFoundError, InvalidApiKeyOptionsError, UnknownBankError, createApiKey, listApiKeys, revokeApiKey } from '../../db/bank-keys';
import { ALL_API_SCOPES, SCOPE_PRESET_DEFAULT, SCOPE_PRESETS, UnknownScopeError, parseScopes } from '../../domain/api-scopes';
import { recordOperatorAction } from '../../db/operator-audit';
import { listBanksWithKeys } from '../../db/queries/banks';
import { operatorOf } from '../operator-action';
import { parseIsoInstant } from '../../domain/instant';
import { registerWebhookCommands } from './bank-webhook';
import { CliError, Runtime, printRows } from '../runtime';

const EXPIRES_IN_DAYS_RE = /^(\d{1,4})d$/;
const DAY_MS = 24 * 60 * 60_000;

/** --expires: "90d" (days from now) or an ISO-8601 instant with a zone. */
export function parseExpiry(text: string, now = new Date()): Date {
  const days = EXPIRES_IN_DAYS_RE.exec(text);
  if (days) return new Date(now.getTime() + Number(days[1]) * DAY_MS);
  const instant = parseIsoInstant(text);
  if (!instant) throw new CliError(`--expires ${text}: give days from now (e.g. 90d) or an ISO-8601 instant with a zone (e.g. 2027-03-01T00:00:00+05:00)`);
  return instant;
}

function keyOptionsOf(opts: { scopes?: string; expires?: string; rateLimit?: string }) {
  try {
    const rateLimitPerMinute = opts.rateLimit === undefined ? undefined : Number(opts.rateLimit);
    return { scopes: parseScopes(opts.scopes ?? SCOPE_PRESET_DEFAULT), expiresAt: opts.expires ? parseExpiry(opts.expires) : undefined, rateLimitPerMinute };
  } catch (err) {
    if (err instanceof UnknownScopeError) throw new CliError(err.message);
    throw err;
  }
}

export function registerBankCommands(program: Command, rt: Runtime): void {
  const bank = program.command('bank').description('banks and their API keys');

  bank
    .command('list')
    .description('the banks registered at the SPC, with their cut-off and active API keys')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const db = await rt.db();
      const rows = await listBanksWithKeys(db);
      printRows(
        rows.map((r) => ({ code: r.code, name: r.name, bic: r.bic, cutoff: r.cutoff_local, confirmDays: r.confirm_business_days, activeKeys: r.active_keys, webhook: r.webhook_url })),
        Boolean(opts.json),
      );
    });

  registerKeyCommands(bank, rt);
  registerWebhookCommands(bank, rt);
}

/** `spc bank key create|revoke|list`. */
function registerKeyCommands(bank: Command, rt: Runtime): void {
  const key = bank.command('key').description('bank API keys (Authorization: Bearer <key>)');

  key
    .command('create')
    .description('create an API key for a bank; the key is printed once, alone on the last line')
    .requiredOption('--bank <code>', 'bank code, e.g. HSBK')
    .option('--label <text>', 'what the key is for, e.g. "cash desks, branch 12"')
    .option(
      '--scopes <list>',
      `comma-separated presets (${Object.entries(SCOPE_PRESETS).map(([name, scopes]) => `${name} = ${scopes.join('+')}`).join('; ')}) or scopes (${ALL_API_SCOPES.join(', ')})`,
      SCOPE_PRESET_DEFAULT,
    )
    .option('--expires <when>', 'the key stops working then: days from now (90d) or an ISO-8601 instant; default never')
    .option('--rate-limit <perMinute>', 'requests per minute for this key (default: the API\'s SPC_RATE_LIMIT_PER_MINUTE)')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: { bank: string; label?: string; scopes?: string; expires?: string; rateLimit?: string; operator?: string }) => {
      const operator = await operatorOf(rt, 'bank key create', opts.operator);
      const keyOptions = keyOptionsOf(opts);
      const db = await rt.db();
      try {
        const created = await createApiKey(db, opts.bank, opts.label, keyOptions);
        await recordOperatorAction(db, {
          operator, action: 'bank.key.create',
          args: { bank: created.bankCode, keyId: created.id, prefix: created.prefix, label: created.label, scopes: created.scopes, expiresAt: created.expiresAt, rateLimitPerMinute: created.rateLimitPerMinute },
        });
        const expiry = created.expiresAt ? `, expires ${created.expiresAt.toISOString()}` : '';
        process.stderr.write(`created key ${created.id} (prefix ${created.prefix}) for bank ${created.bankCode}, scopes ${created.scopes.join(',')}${expiry}; it is shown once, store it now:\n`);
        process.stdout.write(`${created.key}\n`);
      } catch (err) {
        if (err instanceof UnknownBankError || err instanceof InvalidApiKeyOptionsError) {
          await recordOperatorAction(db, { operator, action: 'bank.key.create', args: { bank: opts.bank }, outcome: `refused: ${err instanceof UnknownBankError ? 'unknown bank' : err.message}` });
          throw new CliError(err.message);
        }
        throw err;
      }
    });

  key
    .command('revoke <prefixOrId>')
    .description('revoke a key by its prefix or id (see `spc bank key list`); it stops working within seconds')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (selector: string, opts: { operator?: string }) => {
      const operator = await operatorOf(rt, 'bank key revoke', opts.operator);
      const db = await rt.db();
      try {
        const revoked = await revokeApiKey(db, selector);
        await recordOperatorAction(db, {
          operator, action: 'bank.key.revoke', args: { selector, keyId: revoked.id, bank: revoked.bankCode }, outcome: revoked.alreadyRevoked ? 'already revoked' : 'ok',
        });
        process.stdout.write(
          revoked.alreadyRevoked
            ? `key ${revoked.id} (${revoked.prefix}) of ${revoked.bankCode} was already revoked at ${revoked.revokedAt.toISOString()}\n`
            : `revoked key ${revoked.id} (${revoked.prefix}) of ${revoked.bankCode}\n`,
        );
      } catch (err) {
        if (err instanceof ApiKeyNotFoundError) {
          await recordOperatorAction(db, { operator, action: 'bank.key.revoke', args: { selector }, outcome: 'refused: no such key' });
          throw new CliError(err.message);
        }
        throw err;
      }
    });

  key
    .command('list')
    .description('API keys (prefix, bank, label, scopes, created, expires, revoked, rate limit); never the secret')
    .option('--bank <code>', 'only this bank')
    .option('--json', 'print JSON')
    .action(async (opts: { bank?: string; json?: boolean }) => {
      printRows((await listApiKeys(await rt.db(), opts.bank)) as unknown as Array<Record<string, unknown>>, Boolean(opts.json));
    });
}
