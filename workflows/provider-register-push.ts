// The push of one provider's daily register to its webhook (issue 19), id
// `provider-register-push:<registerId>`: started by the settlement that built the day's registers
// (workflows/settlement.ts, behind a patch) as an abandoned child, so a provider that is down for
// hours keeps its push going after the settlement has settled. The activity
// (activities/provider-register-webhook.ts) makes one attempt per run; its retry policy is the banks'
// webhook backoff (bounded by its maximum interval), and the whole push gives up after
// PROVIDER_PUSH_GIVE_UP_MS: the register stays to be pulled (GET /v1/provider/registers), and the
// delivery row says what went wrong.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { SettlementActivities } from '../activities/settlement';
import type { ProviderRegisterDelivery } from '../activities/provider-register-webhook';
import type { SettlementOptions } from '../domain/settlement-types';
import { webhookRetry } from './settlement-rules';

export const PROVIDER_REGISTER_PUSH_WORKFLOW_ID_PREFIX = 'provider-register-push:';
/** Past this the push stops retrying (a week of a provider's endpoint down). */
export const PROVIDER_PUSH_GIVE_UP_MS = 7 * 24 * 60 * 60_000;

export interface ProviderRegisterPushInput {
  registerId: string;
  /** Tests shorten the backoff; production takes the banks' webhook defaults. */
  retry?: SettlementOptions['webhookRetry'];
}

export type ProviderRegisterPushResult = ProviderRegisterDelivery | { status: 'gave_up'; error: string };

export function providerRegisterPushWorkflowId(registerId: string): string {
  return `${PROVIDER_REGISTER_PUSH_WORKFLOW_ID_PREFIX}${registerId}`;
}

export async function providerRegisterPushWorkflow(input: ProviderRegisterPushInput): Promise<ProviderRegisterPushResult> {
  const { deliverProviderRegisterWebhook } = proxyActivities<SettlementActivities>({
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: PROVIDER_PUSH_GIVE_UP_MS,
    retry: webhookRetry({ webhookRetry: input.retry }),
  });
  try {
    return await deliverProviderRegisterWebhook({ registerId: input.registerId });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { status: 'gave_up', error: String(err.cause?.message ?? err.message) };
  }
}
