// Operator actions of the CLI run through `audited`: each is recorded in the operator audit trail
// with its outcome, also when it is refused or fails, so the trail shows attempts and not only
// successes.
import { ActionError } from '../client/errors';
import { recordOperatorAction, requireOperator, type RequireOperatorOptions } from '../db/operator-audit';
import type { OperatorIdentity } from '../db/operators';
import { CliError, type Runtime } from './runtime';

/** Longest outcome text kept for a failed action (an error message may be long). */
const OUTCOME_CHARS_MAX = 200;

/** Runs an operator action and records it with its outcome (also when refused). */
export async function audited<T>(
  rt: Runtime,
  operator: string,
  action: string,
  args: Record<string, unknown>,
  run: () => Promise<T>,
  outcomeOf: (r: T) => string = () => 'ok',
): Promise<T> {
  const db = await rt.db();
  try {
    const result = await run();
    await recordOperatorAction(db, { operator, action, args, outcome: outcomeOf(result) });
    return result;
  } catch (err) {
    const outcome = err instanceof ActionError ? `refused: ${err.code}` : `error: ${(err as Error).message}`.slice(0, OUTCOME_CHARS_MAX);
    await recordOperatorAction(db, { operator, action, args, outcome }).catch(() => undefined);
    if (err instanceof ActionError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  }
}

/** The authenticated operator of a CLI action (db/operator-audit.ts requireOperator), refused and audited when there is none. */
export async function operatorIdentityOf(rt: Runtime, action: string, fromFlag?: string, opts: RequireOperatorOptions = {}): Promise<OperatorIdentity> {
  return requireOperator(await rt.db(), action, fromFlag, { configured: rt.config.operator, ...opts });
}

/** The authenticated operator's id (the business key operator_audit and the workflows record). */
export async function operatorOf(rt: Runtime, action: string, fromFlag?: string, opts: RequireOperatorOptions = {}): Promise<string> {
  return (await operatorIdentityOf(rt, action, fromFlag, opts)).id;
}

/** Runs a decision (client/decisions.ts, which records its refusals) and turns a refusal into the CLI's `CODE: message`. */
export async function cliDecision<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ActionError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  }
}
