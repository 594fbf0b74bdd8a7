// Who operators are (issue 16 item 6): people with an account (db/operators.ts) and one role each.
// Pure: the correction workflow imports the four-eyes rules from here.
import { SYSTEM_OPERATOR } from './correction-types';

export const OPERATOR_ROLES = {
  operator: 'day-to-day work: settle, raise and resolve complaints, propose corrections',
  supervisor: 'what an operator does, and approve or reject corrections (four eyes)',
  auditor: 'reads only: audits, listings, the operator page',
  admin: 'everything, and operator accounts and credentials',
} as const;
export type OperatorRole = keyof typeof OPERATOR_ROLES;
export const ALL_OPERATOR_ROLES = Object.keys(OPERATOR_ROLES) as OperatorRole[];

/** Roles that may act (change state); an auditor only reads. */
export const ACTING_ROLES: readonly OperatorRole[] = ['operator', 'supervisor', 'admin'];
/** Roles that may decide (approve or reject) another operator's correction. */
export const APPROVING_ROLES: readonly OperatorRole[] = ['supervisor', 'admin'];
/** Roles that manage operator accounts and tokens. */
export const ADMIN_ROLES: readonly OperatorRole[] = ['admin'];

/** An operator id is the lower-case login; the migration (20261208001001) checks the same. */
export const OPERATOR_ID_RE = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export function isOperatorRole(value: unknown): value is OperatorRole {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(OPERATOR_ROLES, value);
}

/** The business key of a login: trimmed, lower-case (so `Alice` and `alice` are one person). */
export function operatorIdOf(login: string): string {
  return login.trim().toLowerCase();
}

/** 'spc' in any case is the SPC itself, never a person. */
export function isSystemOperator(name: string): boolean {
  return operatorIdOf(name) === SYSTEM_OPERATOR;
}

export type FourEyesRefusal = 'SELF_APPROVAL' | 'RESERVED_OPERATOR' | 'COMPLAINANT_APPROVAL' | 'ROLE_MAY_NOT_APPROVE';

/**
 * Four eyes between two people: the decider is not the proposer (case-insensitively) nor the SPC
 * itself; an approver is also not the raiser of the complaint the SPC's own proposal answers, and
 * holds an approving role (a reject by another operator needs no more: it changes no money).
 */
export function fourEyesRefusal(d: { decider: string; approve: boolean; role?: string; proposer: string; complaintRaisedBy?: string | null }): FourEyesRefusal | undefined {
  const decider = operatorIdOf(d.decider);
  if (decider === SYSTEM_OPERATOR) return 'RESERVED_OPERATOR';
  if (decider === operatorIdOf(d.proposer)) return 'SELF_APPROVAL';
  if (!d.approve) return undefined;
  if (isSystemOperator(d.proposer) && d.complaintRaisedBy && decider === operatorIdOf(d.complaintRaisedBy)) return 'COMPLAINANT_APPROVAL';
  if (!isOperatorRole(d.role) || !APPROVING_ROLES.includes(d.role)) return 'ROLE_MAY_NOT_APPROVE';
  return undefined;
}
