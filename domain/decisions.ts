// Deciding another person's proposal (four eyes on a correction or a period close): the refusals the
// one decision function (client/decisions.ts) adds before the workflow is asked. The four-eyes
// refusals themselves are the workflows' (domain/operator-roles.ts fourEyesRefusal). Pure.
import type { ErrorTable } from './error-table';

export const DECISION_ERROR_CODES = {
  REASON_REQUIRED: { status: 400, message: 'a reject needs a reason: 1-500 characters of plain text' },
  OPERATOR_ROLE_FORBIDDEN: { status: 403, message: 'this role may not decide a proposal (an auditor only reads)' },
} as const satisfies ErrorTable<string>;
export type DecisionErrorCode = keyof typeof DECISION_ERROR_CODES;

/** A reject's reason (and an approve's note) is kept to this many characters, as a correction's reason. */
export const DECISION_NOTE_CHARS_MAX = 500;
