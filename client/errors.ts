// Reading Temporal client errors by name, not instanceof: jest (and some bundlers) can load the SDK
// twice, and then instanceof fails across the two copies.
import { isRejectionCode, RejectionCode } from '../domain/payment-types';

export function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

/** The business rejection inside a failed update or workflow, if that is what it is. */
export function rejectionOf(err: unknown): { code: RejectionCode; message: string } | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur; depth++) {
    const c = cur as { name?: string; type?: string; message?: string; cause?: unknown };
    if (c.name === 'ApplicationFailure' && isRejectionCode(c.type)) return { code: c.type, message: c.message ?? c.type };
    cur = c.cause;
  }
  return undefined;
}

/** The typed ApplicationFailure inside a failed update or workflow whose type passes `isCode`. */
export function applicationFailureOf<C extends string>(err: unknown, isCode: (type: unknown) => type is C): { code: C; message: string } | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && cur; depth++) {
    const c = cur as { name?: string; type?: string; message?: string; cause?: unknown };
    if (c.name === 'ApplicationFailure' && isCode(c.type)) return { code: c.type, message: c.message ?? c.type };
    cur = c.cause;
  }
  return undefined;
}
