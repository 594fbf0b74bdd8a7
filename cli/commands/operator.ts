// Operator accounts (issue 16 item 6): `spc operator create|list|disable` and `spc operator token
// create|revoke|list`. Admins manage accounts; the very first admin of an installation may be created
// without a credential (whoever holds the database owner's URL can do that anyway). Every step is
// audited; a token is printed once (or written to a 0600 file) and never audited.
import type { Command } from 'commander';
import { recordOperatorAction } from '../../db/operator-audit';
import {
  OPERATOR_TOKEN_DAYS_MAX, OperatorAccountError, checkedOperatorId, createOperator, createOperatorToken, disableOperator, hasEnabledAdmin, revokeOperatorToken,
} from '../../db/operators';
import { listOperatorTokens, listOperators } from '../../db/queries/operators';
import { ADMIN_ROLES, ALL_OPERATOR_ROLES, OPERATOR_ROLES, operatorIdOf } from '../../domain/operator-roles';
import type { Db } from '../../db/connection';
import { writeTokenFile } from '../../infra/operator-credential';
import { operatorIdentityOf, operatorOf } from '../operator-action';
import { CliError, Runtime, printRows } from '../runtime';

const DAYS_RE = /^\d{1,3}$/;

/** Runs an account step; an OperatorAccountError is audited as refused and becomes a CLI error. */
async function step<T>(db: Db, operator: string, action: string, args: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    await recordOperatorAction(db, { operator, action, args });
    return result;
  } catch (err) {
    if (!(err instanceof OperatorAccountError)) throw err;
    await recordOperatorAction(db, { operator, action, args, outcome: `refused: ${err.code}` });
    throw new CliError(`${err.code}: ${err.message}`);
  }
}

interface CreateOptions { name: string; role: string; out?: string; operator?: string }

async function create(rt: Runtime, login: string, opts: CreateOptions): Promise<void> {
  if (!ALL_OPERATOR_ROLES.includes(opts.role as never)) throw new CliError(`--role must be one of ${ALL_OPERATOR_ROLES.join(', ')}`);
  const db = await rt.db();
  const bootstrap = opts.role === 'admin' && !(await hasEnabledAdmin(db));
  // The first admin has nobody to vouch for them: they are recorded as their own creator.
  const by = bootstrap ? checkedOperatorIdOrCliError(login) : await operatorOf(rt, 'operator create', opts.operator, { roles: ADMIN_ROLES });
  const created = await step(db, by, bootstrap ? 'operator.bootstrap' : 'operator.create', { id: operatorIdOf(login), role: opts.role }, () =>
    createOperator(db, { id: login, displayName: opts.name, role: opts.role }));
  if (!bootstrap && !opts.out) {
    process.stdout.write(`created operator ${created.id} (${created.role}); give them a token: spc operator token create ${created.id}\n`);
    return;
  }
  // The first admin gets their token with the account: nobody else could issue it.
  process.stderr.write(`created operator ${created.id} (${created.role})${bootstrap ? ', the first admin' : ''}\n`);
  await issueToken(db, by, created.id, { out: opts.out });
}

function checkedOperatorIdOrCliError(login: string): string {
  try {
    return checkedOperatorId(login);
  } catch (err) {
    if (err instanceof OperatorAccountError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  }
}

async function disable(rt: Runtime, login: string, opts: { operator?: string }): Promise<void> {
  const by = await operatorOf(rt, 'operator disable', opts.operator, { roles: ADMIN_ROLES });
  const db = await rt.db();
  if (operatorIdOf(login) === by) throw new CliError('OPERATOR_SELF_DISABLE: another admin disables you');
  const done = await step(db, by, 'operator.disable', { id: operatorIdOf(login) }, () => disableOperator(db, login));
  process.stdout.write(`disabled operator ${done.id}; ${done.tokensRevoked} token(s) revoked\n`);
}

interface TokenOptions { expiresDays?: string; label?: string; out?: string; operator?: string }

async function createToken(rt: Runtime, login: string, opts: TokenOptions): Promise<void> {
  if (opts.expiresDays !== undefined && (!DAYS_RE.test(opts.expiresDays) || Number(opts.expiresDays) < 1 || Number(opts.expiresDays) > OPERATOR_TOKEN_DAYS_MAX)) {
    throw new CliError(`--expires-days ${opts.expiresDays}: give a whole number of days, 1 to ${OPERATOR_TOKEN_DAYS_MAX}`);
  }
  const me = await operatorIdentityOf(rt, 'operator token create', opts.operator, { roles: ALL_OPERATOR_ROLES });
  const id = operatorIdOf(login);
  // A person renews their own token; an admin issues anyone's.
  if (id !== me.id && !ADMIN_ROLES.includes(me.role)) {
    await recordOperatorAction(await rt.db(), { operator: me.id, action: 'operator.token.create', args: { id }, outcome: 'refused: OPERATOR_ROLE_FORBIDDEN' });
    throw new CliError(`OPERATOR_ROLE_FORBIDDEN: only an admin creates tokens for others; ${me.id} is ${me.role}`);
  }
  await issueToken(await rt.db(), me.id, id, { days: opts.expiresDays === undefined ? undefined : Number(opts.expiresDays), label: opts.label, out: opts.out });
}

async function issueToken(db: Db, by: string, id: string, opts: { days?: number; label?: string; out?: string }): Promise<void> {
  const created = await step(db, by, 'operator.token.create', { id, label: opts.label ?? null }, () => createOperatorToken(db, id, opts));
  const what = `token ${created.id} (prefix ${created.prefix}) for ${created.operatorId}, expires ${created.expiresAt.toISOString()}`;
  if (opts.out) {
    writeTokenFile(opts.out, created.token);
    process.stdout.write(`created ${what}; written to ${opts.out} (mode 0600)\n`);
    return;
  }
  process.stderr.write(`created ${what}; it is shown once, store it now (e.g. in a 0600 file named by SPC_OPERATOR_TOKEN_FILE):\n`);
  process.stdout.write(`${created.token}\n`);
}

async function revokeToken(rt: Runtime, selector: string, opts: { operator?: string }): Promise<void> {
  const by = await operatorOf(rt, 'operator token revoke', opts.operator, { roles: ADMIN_ROLES });
  const db = await rt.db();
  const revoked = await step(db, by, 'operator.token.revoke', { selector }, () => revokeOperatorToken(db, selector));
  process.stdout.write(`revoked token ${revoked.id} of ${revoked.operatorId}\n`);
}

function registerTokens(operator: Command, rt: Runtime): void {
  const token = operator.command('token').description('personal operator tokens (spco_…): what the CLI authenticates with');
  token
    .command('create <id>')
    .description('create a token for an operator (an admin for anyone, anyone for themself); printed once, alone on the last line')
    .option('--expires-days <n>', `the token stops working n days from now (default 90, at most ${OPERATOR_TOKEN_DAYS_MAX})`)
    .option('--label <text>', 'what the token is for, e.g. "laptop"')
    .option('--out <file>', 'write the token to this file (mode 0600) instead of printing it')
    .option('--operator <id>', 'must be you (the token\'s operator)')
    .action((id: string, opts: TokenOptions) => createToken(rt, id, opts));
  token
    .command('revoke <idOrPrefix>')
    .description('revoke a token by its id or prefix (admins)')
    .option('--operator <id>', 'must be you (the token\'s operator)')
    .action((selector: string, opts: { operator?: string }) => revokeToken(rt, selector, opts));
  token
    .command('list')
    .description('tokens (prefix, label, created, expires, revoked); never the secret')
    .option('--of <id>', 'only this operator\'s')
    .option('--json', 'print JSON')
    .action(async (opts: { of?: string; json?: boolean }) => {
      printRows((await listOperatorTokens(await rt.db(), opts.of && operatorIdOf(opts.of))) as unknown as Array<Record<string, unknown>>, Boolean(opts.json));
    });
}

export function registerOperatorCommands(program: Command, rt: Runtime): void {
  const roles = ALL_OPERATOR_ROLES.map((r) => `${r}: ${OPERATOR_ROLES[r]}`).join('; ');
  const operator = program.command('operator').description('operator accounts: the people who run the SPC, and their roles');
  operator
    .command('create <id>')
    .description(`create an operator account (admins; the first admin needs no credential). Roles: ${roles}`)
    .requiredOption('--name <text>', 'display name, e.g. "Aigerim Nurlanovna"')
    .requiredOption('--role <role>', ALL_OPERATOR_ROLES.join(' | '))
    .option('--out <file>', 'also create their first token and write it to this file (mode 0600); the first admin always gets one')
    .option('--operator <id>', 'must be you (the token\'s operator)')
    .action((id: string, opts: CreateOptions) => create(rt, id, opts));
  operator
    .command('disable <id>')
    .description('disable an operator and revoke their tokens (admins); the account stays for the audit trail')
    .option('--operator <id>', 'must be you (the token\'s operator)')
    .action((id: string, opts: { operator?: string }) => disable(rt, id, opts));
  operator
    .command('list')
    .description('operator accounts with role, disabled and active tokens')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      printRows((await listOperators(await rt.db())) as unknown as Array<Record<string, unknown>>, Boolean(opts.json));
    });
  registerTokens(operator, rt);
}
