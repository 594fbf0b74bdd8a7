// Every line an activity logs (Context.current().log, and the SDK's own "Activity failed" lines)
// carries what an operator searches by: the SDK adds the workflow id, run id, workflow and activity
// type and attempt; this interceptor adds the business keys of the activity's input (bank, bank
// reference, business date, register, settlement). Only these named keys are copied, never the
// input itself: the input holds the payer's account and readings (infra/log.ts redacts them anyway).
import type { ActivityInterceptors } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';

/** Input fields copied into log attributes; identifiers and codes, no personal data. */
const BUSINESS_KEYS = ['bankCode', 'bankRef', 'businessDate', 'registerId', 'settlementId', 'correctionId', 'complaintId'] as const;

/** The business keys of an activity's first argument (or of its `request`, as a payment's posting has it). */
export function businessKeysOf(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof input !== 'object' || input === null) return out;
  const sources = [input as Record<string, unknown>, (input as { request?: Record<string, unknown> }).request];
  for (const source of sources) {
    if (typeof source !== 'object' || source === null) continue;
    for (const key of BUSINESS_KEYS) {
      const value = source[key];
      if (out[key] === undefined && (typeof value === 'string' || typeof value === 'number')) out[key] = String(value).slice(0, 100);
    }
  }
  return out;
}

export function activityLogInterceptor(_ctx: Context): ActivityInterceptors {
  let keys: Record<string, string> = {};
  return {
    inbound: {
      execute: async (input, next) => {
        keys = businessKeysOf(input.args[0]);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (attrs, next) => next({ ...attrs, ...keys }),
    },
  };
}
