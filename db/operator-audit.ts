// The operator audit trail: every operator action (settle, resolve, confirm, schedule changes,
// keys, calendar edits) is recorded with who, what, when and the arguments. Actions without an
// operator name are refused before anything happens.
import type { Db } from './connection';
import { operatorFromEnv } from '../infra/config';

/** Thrown when an operator action is attempted without an operator name. */
export class OperatorRequiredError extends Error {
  override name = 'CliError';
  readonly exitCode = 1;
  constructor(action: string) {
    super(`${action} is an operator action: say who you are with --operator <name> or SPC_OPERATOR`);
  }
}

const OPERATOR_RE = /^[\p{L}\p{N}._@-]{1,64}$/u;

/** The operator of an action: --operator, else SPC_OPERATOR (read in infra/config.ts); refused when neither names one. */
export function requireOperator(action: string, fromFlag?: string, configured: string | undefined = operatorFromEnv()): string {
  const name = (fromFlag ?? configured ?? '').trim();
  if (!name) throw new OperatorRequiredError(action);
  if (!OPERATOR_RE.test(name)) throw new OperatorRequiredError(`${action} (operator name must be 1-64 letters, digits or . _ @ -)`);
  return name;
}

export async function recordOperatorAction(db: Db, entry: { operator: string; action: string; args: Record<string, unknown>; outcome?: string }): Promise<void> {
  await db('operator_audit').insert({ operator: entry.operator, action: entry.action, args: JSON.stringify(entry.args), outcome: entry.outcome ?? 'ok' });
}
