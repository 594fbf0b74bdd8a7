// `spc cabinet code rotate --account N`: a new access code for a household's cabinet (issue 20
// item 3), printed once, alone on stdout; the old code and its sessions stop at once. Audited like
// every operator action (the code itself never is). `spc cabinet code demo`: codes for the seed's
// sample accounts, written to a file only its owner may read, for a newcomer to sign in with.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Db } from '../../db/connection';
import { AccessCodeError, rotateAccessCode } from '../../db/cabinet';
import { recordOperatorAction } from '../../db/operator-audit';
import { operatorOf } from '../operator-action';
import { SAMPLE_ACCOUNTS } from '../../db/seed';
import { ACCOUNT_RE } from '../../domain/payment-types';
import { CliError, Runtime } from '../runtime';

export const DEMO_CODES_FILE = 'cabinet-demo-codes.txt';

async function rotate(rt: Runtime, opts: { account: string; operator?: string }): Promise<void> {
  const operator = await operatorOf(rt, 'cabinet code rotate', opts.operator);
  if (!ACCOUNT_RE.test(opts.account)) throw new CliError(`--account ${opts.account}: a personal account number is 6-16 digits`);
  const db = await rt.db();
  try {
    const code = await rotateAccessCode(db, opts.account);
    await recordOperatorAction(db, { operator, action: 'cabinet.code.rotate', args: { account: opts.account } });
    process.stderr.write(`new access code for account ${opts.account} (the old one and its sessions no longer work); it is shown once, print it on the invoice:\n`);
    process.stdout.write(`${code}\n`);
  } catch (err) {
    if (err instanceof AccessCodeError) {
      await recordOperatorAction(db, { operator, action: 'cabinet.code.rotate', args: { account: opts.account }, outcome: `refused: ${err.message}` });
      throw new CliError(err.message);
    }
    throw err;
  }
}

/**
 * New codes for the seed's sample accounts, written to `file` (mode 0600 from the first byte: the
 * codes are secrets, if demo ones). Returns how many. `spc up` calls it when it seeds the demo.
 */
export async function writeDemoAccessCodes(db: Db, file: string): Promise<number> {
  const lines: string[] = [];
  for (const account of SAMPLE_ACCOUNTS) {
    try {
      lines.push(`${account} ${await rotateAccessCode(db, account)}`);
    } catch (err) {
      // A demo seeded with fewer accounts than the samples: the others are skipped.
      if (!(err instanceof AccessCodeError)) throw err;
    }
  }
  if (lines.length === 0) throw new CliError(`none of the demo accounts ${SAMPLE_ACCOUNTS.join(', ')} is in the database: seed the demo data first (spc seed)`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `# account access-code: sign in at /cabinet\n${lines.join('\n')}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return lines.length;
}

async function demoCodes(rt: Runtime, opts: { operator?: string; file?: string }): Promise<void> {
  const operator = await operatorOf(rt, 'cabinet code demo', opts.operator);
  const db = await rt.db();
  const file = opts.file ?? path.join(rt.config.dataDir, DEMO_CODES_FILE);
  const count = await writeDemoAccessCodes(db, file);
  await recordOperatorAction(db, { operator, action: 'cabinet.code.demo', args: { accounts: [...SAMPLE_ACCOUNTS], file } });
  process.stdout.write(`access codes of ${count} demo accounts written to ${file} (mode 0600); sign in at http://127.0.0.1:3000/cabinet\n`);
}

export function registerCabinetCommands(program: Command, rt: Runtime): void {
  const cabinet = program.command('cabinet').description('the households\' personal cabinet (/cabinet)');
  const code = cabinet.command('code').description('access codes printed on the invoice');
  code
    .command('rotate')
    .description('issue a new access code for an account; printed once, alone on stdout')
    .requiredOption('--account <number>', 'personal account number')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action((opts: { account: string; operator?: string }) => rotate(rt, opts));
  code
    .command('demo')
    .description(`new access codes for the demo's sample accounts (${SAMPLE_ACCOUNTS.join(', ')}), into .data/${DEMO_CODES_FILE} (mode 0600)`)
    .option('--file <path>', 'where to write them')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action((opts: { file?: string; operator?: string }) => demoCodes(rt, opts));
}
