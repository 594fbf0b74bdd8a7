// The operator audit trail: every operator action (settle, resolve, confirm, schedule changes,
// keys, calendar edits) is recorded with who, what, when and the arguments. Who is an authenticated
// person (issue 16 item 6): the CLI's personal token (infra/operator-credential.ts) names the
// operator, never a flag. An action without a valid credential, with a --operator that names someone
// else, or by a role that may not do it is refused before anything happens, and the refusal is
// recorded too.
import type { Db } from './connection';
import { operatorCredential, operatorFromEnv } from '../infra/config';
import type { OperatorCredential } from '../infra/operator-credential';
import { resolveOperatorToken, type OperatorIdentity } from './operators';
import { ACTING_ROLES, operatorIdOf, type OperatorRole } from '../domain/operator-roles';

/** operator_audit.operator of an attempt nobody could be authenticated for. */
export const UNAUTHENTICATED_OPERATOR = '(unauthenticated)';
const CLAIM_CHARS_MAX = 64;

export type OperatorRefusalCode = 'OPERATOR_UNAUTHENTICATED' | 'OPERATOR_MISMATCH' | 'OPERATOR_ROLE_FORBIDDEN';

/** Thrown when an operator action is attempted without the right authenticated operator. */
export class OperatorRequiredError extends Error {
  override name = 'CliError';
  readonly exitCode = 1;
  constructor(readonly code: OperatorRefusalCode, message: string) {
    super(`${code}: ${message}`);
  }
}

export async function recordOperatorAction(db: Db, entry: { operator: string; action: string; args: Record<string, unknown>; outcome?: string }): Promise<void> {
  await db('operator_audit').insert({ operator: entry.operator, action: entry.action, args: JSON.stringify(entry.args), outcome: entry.outcome ?? 'ok' });
}

export interface RequireOperatorOptions {
  /** Roles that may do this; default the acting ones (an auditor only reads). */
  roles?: readonly OperatorRole[];
  /** The presented credential; default SPC_OPERATOR_TOKEN or the token file. */
  credential?: OperatorCredential;
  /** A claimed name when no --operator is given; default SPC_OPERATOR. */
  configured?: string;
}

async function refuse(db: Db, action: string, operator: string, code: OperatorRefusalCode, message: string, args: Record<string, unknown>): Promise<never> {
  await recordOperatorAction(db, { operator, action, args, outcome: `refused: ${code}` }).catch(() => undefined);
  throw new OperatorRequiredError(code, message);
}

/**
 * The authenticated operator of an action. --operator (or SPC_OPERATOR) is still accepted so that
 * existing scripts keep working, but only when it names the authenticated operator.
 */
export async function requireOperator(db: Db, action: string, fromFlag?: string, opts: RequireOperatorOptions = {}): Promise<OperatorIdentity> {
  const credential = opts.credential ?? operatorCredential();
  const claimed = (fromFlag ?? opts.configured ?? operatorFromEnv() ?? '').trim().slice(0, CLAIM_CHARS_MAX) || null;
  const auditAction = action.replace(/ /g, '.');
  const howTo = 'give your personal token (spc operator token create) in SPC_OPERATOR_TOKEN or a 0600 file (SPC_OPERATOR_TOKEN_FILE)';
  if (!credential.token) {
    return refuse(db, auditAction, UNAUTHENTICATED_OPERATOR, 'OPERATOR_UNAUTHENTICATED', `${action} is an operator action: ${credential.problem ?? howTo}`, { claimed });
  }
  const who = await resolveOperatorToken(db, credential.token);
  if (!who) {
    return refuse(db, auditAction, UNAUTHENTICATED_OPERATOR, 'OPERATOR_UNAUTHENTICATED', `the token in ${credential.source} is unknown, revoked or expired, or its operator is disabled: ${howTo}`, { claimed });
  }
  if (claimed && claimed !== who.id) {
    const hint = operatorIdOf(claimed) === who.id ? ' (operator ids are lower-case)' : '';
    return refuse(db, auditAction, who.id, 'OPERATOR_MISMATCH', `--operator ${claimed} is not you: your token is ${who.id}'s${hint}`, { claimed });
  }
  const roles = opts.roles ?? ACTING_ROLES;
  if (!roles.includes(who.role)) {
    return refuse(db, auditAction, who.id, 'OPERATOR_ROLE_FORBIDDEN', `${action} needs the role ${roles.join(' or ')}; ${who.id} is ${who.role}`, { role: who.role });
  }
  return who;
}
