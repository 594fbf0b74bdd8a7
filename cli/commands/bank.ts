// Bank commands: `spc bank list`, `spc bank key create|revoke|list` (operator actions, audited).
// `spc api`, the HTTP server as a process of its own, is in processes.ts beside worker and keeper.
import type { Command } from 'commander';
import { ApiKeyNotFoundError, UnknownBankError, createApiKey, listApiKeys, revokeApiKey } from '../../api/keys';
import { recordOperatorAction, requireOperator } from '../../db/operator-audit';
import { CliError, Runtime, printRows } from '../runtime';

export function registerBankCommands(program: Command, rt: Runtime): void {
  const bank = program.command('bank').description('banks and their API keys');

  bank
    .command('list')
    .description('the banks registered at the SPC, with their cut-off and active API keys')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const db = await rt.db();
      const rows = await db('banks as b')
        .leftJoin('bank_api_keys as k', function activeKeys() {
          this.on('k.bank_code', 'b.code').andOnNull('k.revoked_at');
        })
        .groupBy('b.code', 'b.name', 'b.bic', 'b.cutoff_local', 'b.confirm_business_days', 'b.webhook_url')
        .orderBy('b.code')
        .select('b.code', 'b.name', 'b.bic', 'b.cutoff_local', 'b.confirm_business_days', 'b.webhook_url', db.raw('count(k.id)::int AS active_keys'));
      printRows(
        rows.map((r) => ({ code: r.code, name: r.name, bic: r.bic, cutoff: r.cutoff_local, confirmDays: r.confirm_business_days, activeKeys: r.active_keys, webhook: r.webhook_url })),
        Boolean(opts.json),
      );
    });

  const key = bank.command('key').description('bank API keys (Authorization: Bearer <key>)');

  key
    .command('create')
    .description('create an API key for a bank; the key is printed once, alone on the last line')
    .requiredOption('--bank <code>', 'bank code, e.g. HSBK')
    .option('--label <text>', 'what the key is for, e.g. "cash desks, branch 12"')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: { bank: string; label?: string; operator?: string }) => {
      const operator = requireOperator('bank key create', opts.operator);
      const db = await rt.db();
      try {
        const created = await createApiKey(db, opts.bank, opts.label);
        await recordOperatorAction(db, { operator, action: 'bank.key.create', args: { bank: created.bankCode, keyId: created.id, prefix: created.prefix, label: created.label } });
        process.stderr.write(`created key ${created.id} (prefix ${created.prefix}) for bank ${created.bankCode}; it is shown once, store it now:\n`);
        process.stdout.write(`${created.key}\n`);
      } catch (err) {
        if (err instanceof UnknownBankError) {
          await recordOperatorAction(db, { operator, action: 'bank.key.create', args: { bank: opts.bank }, outcome: 'refused: unknown bank' });
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
      const operator = requireOperator('bank key revoke', opts.operator);
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
    .description('API keys (prefix, bank, label, created, revoked); never the secret')
    .option('--bank <code>', 'only this bank')
    .option('--json', 'print JSON')
    .action(async (opts: { bank?: string; json?: boolean }) => {
      printRows((await listApiKeys(await rt.db(), opts.bank)) as unknown as Array<Record<string, unknown>>, Boolean(opts.json));
    });
}
