// Every call of the SPC's client to Temporal has a deadline. Without one an update, a query or a
// workflow result waits as long as no worker polls the task queue (the SDK polls an update's outcome
// again and again), and so does the bank's request. With one, the call fails with a gRPC
// DEADLINE_EXCEEDED that is turned into EngineUnavailableError here: the API answers 503 with
// Retry-After (api/errors.ts) and the bank repeats the same request, which is safe because every
// call carries its idempotency key (workflow id, update id).
import type { Client } from '@temporalio/client';
import { errorName } from './errors';

/** The longest a client call may wait for Temporal; below the API's 30-second answer window. */
export const ENGINE_CALL_TIMEOUT_MS = 20_000;

/** Thrown when Temporal could not take a request in time; the caller answers 503 and the bank repeats. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
  constructor(readonly operation: string, override readonly cause: unknown) {
    super(`the SPC engine could not take the ${operation} in time: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_CANCELLED = 1;
const CAUSE_DEPTH_MAX = 5;

/** The SDK's shape of a call that hit its deadline (an update says so by name, others by the gRPC code). */
export function isDeadlineError(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && typeof cur === 'object' && cur !== null; depth++) {
    if (errorName(cur) === 'WorkflowUpdateRPCTimeoutOrCancelledError') return true;
    const code = (cur as { code?: unknown }).code;
    if (code === GRPC_DEADLINE_EXCEEDED || code === GRPC_CANCELLED) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** Runs `call` with every Temporal request in it bounded by `deadlineMs` (epoch ms); past it, EngineUnavailableError. */
export async function beforeDeadline<T>(client: Client, operation: string, deadlineMs: number, call: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(deadlineMs, call);
  } catch (err) {
    if (isDeadlineError(err)) throw new EngineUnavailableError(operation, err);
    throw err;
  }
}

/** beforeDeadline with a deadline `timeoutMs` from now. */
export function withinEngineTimeout<T>(client: Client, operation: string, call: () => Promise<T>, timeoutMs = ENGINE_CALL_TIMEOUT_MS): Promise<T> {
  return beforeDeadline(client, operation, Date.now() + timeoutMs, call);
}
