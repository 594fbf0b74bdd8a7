// Provider commands (issue 18 item 1): `spc provider key create|list|revoke`, `spc provider webhook …`. Creating and revoking
// are operator actions, audited like `spc bank key …` (the secret is printed once and never audited).
import { registerProviderRegisterCommands, registerTransferCheckCommand } from './provider-audit';
import type { Command } from 'commander';
import { PROVIDER_WEBHOOK, registerWebhookCommands } from './bank-webhook';
import { recordOperatorAction } from '../../db/operator-audit';
import { operatorOf } from '../operator-action';
import { ALL_PROVIDER_SCOPES, PROVIDER_SCOPES, ProviderKeyError, createProviderKey, revokeProviderKey, type ProviderScope } from '../../db/provider-keys';
import { listProviderKeys } from '../../db/queries/provider-keys';
import { CliError, Runtime, printRows } from '../runtime';

const DAY_MS = 24 * 60 * 60_000;
const EXPIRES_DAYS_RE = /^\d{1,4}$/;

/** --scopes readings,charges: every name must be a provider scope. */
export function parseProviderScopes(text: string): ProviderScope[] {
  const names = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
  const unknown = names.filter((n) => !(n in PROVIDER_SCOPES));
  if (names.length === 0 || unknown.length > 0) {
    throw new CliError(`--scopes ${text}: give one or more of ${ALL_PROVIDER_SCOPES.join(', ')}, comma-separated`);
  }
  return names as ProviderScope[];
}

/** --expires-days N: the key stops working N days from now (1–9999). */
export function parseExpiresDays(text: string, now = new Date()): Date {
  if (!EXPIRES_DAYS_RE.test(text) || Number(text) < 1) throw new CliError(`--expires-days ${text}: give a whole number of days, 1 to 9999`);
  return new Date(now.getTime() + Number(text) * DAY_MS);
}

interface CreateOptions { provider: string; scopes?: string; expiresDays?: string; label?: string; operator?: string }

async function createKey(rt: Runtime, opts: CreateOptions): Promise<void> {
  const operator = await operatorOf(rt, 'provider key create', opts.operator);
  const scopes = opts.scopes === undefined ? undefined : parseProviderScopes(opts.scopes);
  const expiresAt = opts.expiresDays === undefined ? undefined : parseExpiresDays(opts.expiresDays);
  const db = await rt.db();
  try {
    const created = await createProviderKey(db, opts.provider, { scopes, expiresAt, label: opts.label });
    await recordOperatorAction(db, {
      operator, action: 'provider.key.create',
      args: { provider: created.providerId, keyId: created.id, prefix: created.prefix, label: opts.label ?? null, scopes: created.scopes, expiresAt: created.expiresAt },
    });
    const expiry = created.expiresAt ? `, expires ${created.expiresAt.toISOString()}` : '';
    process.stderr.write(`created key ${created.id} (prefix ${created.prefix}) for provider ${created.providerId}, scopes ${created.scopes.join(',')}${expiry}; it is shown once, store it now:\n`);
    process.stdout.write(`${created.key}\n`);
  } catch (err) {
    if (err instanceof ProviderKeyError) {
      await recordOperatorAction(db, { operator, action: 'provider.key.create', args: { provider: opts.provider }, outcome: `refused: ${err.message}` });
      throw new CliError(err.message);
    }
    throw err;
  }
}

async function revokeKey(rt: Runtime, selector: string, opts: { operator?: string }): Promise<void> {
  const operator = await operatorOf(rt, 'provider key revoke', opts.operator);
  const db = await rt.db();
  try {
    const revoked = await revokeProviderKey(db, selector);
    await recordOperatorAction(db, { operator, action: 'provider.key.revoke', args: { selector, keyId: revoked.id, provider: revoked.providerId } });
    process.stdout.write(`revoked key ${revoked.id} of ${revoked.providerId}\n`);
  } catch (err) {
    if (err instanceof ProviderKeyError) {
      await recordOperatorAction(db, { operator, action: 'provider.key.revoke', args: { selector }, outcome: 'refused: no such key' });
      throw new CliError(err.message);
    }
    throw err;
  }
}

export function registerProviderCommands(program: Command, rt: Runtime): void {
  const provider = program.command('provider').description('providers (electricity, water, heat, …) as users of the provider API');
  const key = provider.command('key').description('provider API keys (Authorization: Bearer spcp_…)');
  registerProviderRegisterCommands(provider, rt);
  registerTransferCheckCommand(provider, rt);
  registerWebhookCommands(provider, rt, PROVIDER_WEBHOOK);

  key
    .command('create')
    .description('create an API key for a provider; the key is printed once, alone on the last line')
    .requiredOption('--provider <id>', 'provider id, e.g. ALMATY_SU')
    .option('--scopes <list>', `comma-separated scopes (${ALL_PROVIDER_SCOPES.join(', ')}); default all`)
    .option('--expires-days <n>', 'the key stops working n days from now; default never')
    .option('--label <text>', 'what the key is for, e.g. "billing system"')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action((opts: CreateOptions) => createKey(rt, opts));

  key
    .command('revoke <idOrPrefix>')
    .description('revoke a key by its id or prefix (see `spc provider key list`)')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action((selector: string, opts: { operator?: string }) => revokeKey(rt, selector, opts));

  key
    .command('list')
    .description('provider API keys (prefix, scopes, label, created, expires, revoked); never the secret')
    .option('--provider <id>', 'only this provider')
    .option('--json', 'print JSON')
    .action(async (opts: { provider?: string; json?: boolean }) => {
      printRows((await listProviderKeys(await rt.db(), opts.provider)) as unknown as Array<Record<string, unknown>>, Boolean(opts.json));
    });
}
