// Activities of the daily settlement workflow (workflows/settlement.ts) and of its schedule's
// trigger. Each step lives in its own file; all are idempotent, because Temporal may run any of
// them again after a worker restart.
import type { ActivityDeps } from './deps';
import { almatyToUtc, isBusinessDay, toAlmaty } from '../domain/calendar';
import { createSettlementAggregateActivities } from './settlement-aggregate';
import { createSettlementCloseActivities } from './settlement-close';
import { createSettlementConfirmActivities } from './settlement-confirm';
import { createSettlementFileActivities } from './settlement-files';
import { settlementConfigFromEnv, type SettlementConfig } from './settlement-support';
import { createSettlementWebhookActivities } from './settlement-webhook';
import type { TriggerInfo } from './settlement-types';

export function createSettlementActivities(deps: ActivityDeps, config: SettlementConfig = settlementConfigFromEnv()) {
  /** What the schedule's trigger needs to decide: the business date at `at`, whether it is one, and the bank's cut-off then. */
  async function settlementTriggerInfo(input: { bankCode: string; at: string }): Promise<TriggerInfo> {
    // The trigger runs once a day per bank: read the cut-off and calendar fresh, not from a 10 s old cache.
    deps.reference.invalidate();
    const bank = await deps.reference.bank(input.bankCode);
    const cal = await deps.reference.calendar();
    const businessDate = toAlmaty(new Date(input.at)).date;
    return {
      bankExists: bank !== undefined,
      businessDate,
      isBusinessDay: isBusinessDay(businessDate, cal),
      cutoffAt: bank ? almatyToUtc(businessDate, bank.cutoff_local).toISOString() : input.at,
    };
  }

  return {
    ...createSettlementCloseActivities(deps),
    ...createSettlementAggregateActivities(deps),
    ...createSettlementFileActivities(deps, config),
    ...createSettlementWebhookActivities(deps),
    ...createSettlementConfirmActivities(deps),
    settlementTriggerInfo,
  };
}

export type SettlementActivities = ReturnType<typeof createSettlementActivities>;
export type { SettlementConfig } from './settlement-support';
