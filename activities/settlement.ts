// Activities of the daily settlement workflow (workflows/settlement.ts) and of its schedule's
// trigger. Each step lives in its own file; all are idempotent, because Temporal may run any of
// them again after a worker restart.
import type { ActivityDeps } from './deps';
import { almatyToUtc, isBusinessDay, toAlmaty } from '../domain/calendar';
import { createSettlementAggregateActivities } from './settlement-aggregate';
import { createSettlementCloseActivities } from './settlement-close';
import { createSettlementConfirmActivities } from './settlement-confirm';
import { createSettlementFileActivities } from './settlement-files';
import { settlementConfigFromEnv, type ProviderPushConfig, type SettlementConfig } from '../infra/config';
import { createSettlementWebhookActivities } from './settlement-webhook';
import type { TriggerInfo } from '../domain/settlement-types';
import { addDays } from '../domain/calendar';
import { findUnsettledBankDays } from '../db/queries/unsettled';
import { createProviderRegisterActivities } from './provider-register';
import { createProviderRegisterWebhookActivities } from './provider-register-webhook';
import { createTransferCheckActivities } from './transfer-check';

/**
 * How far back the daily trigger looks for bank-days left unsettled (a holiday declared after
 * payments were posted, a schedule paused, an outage longer than the schedule's catch-up window),
 * and how many it settles per run. Older days, or more, stay on /ops and fail the ledger audit
 * until an operator settles them: a month of silence is not something to fix unattended.
 */
export const SWEEP_LOOKBACK_DAYS = 31;
export const SWEEP_DAYS_PER_RUN_MAX = 10;

export function createSettlementActivities(deps: ActivityDeps, config: SettlementConfig = settlementConfigFromEnv(), providerPush?: ProviderPushConfig) {
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

  /** Bank-days of the bank before `before` with accepted payments and no settlement, oldest first, bounded. */
  async function unsettledBankDaysOf(input: { bankCode: string; before: string }): Promise<{ dates: string[] }> {
    const days = await findUnsettledBankDays(deps.db, input.before, {
      bankCode: input.bankCode, since: addDays(input.before, -SWEEP_LOOKBACK_DAYS), limit: SWEEP_DAYS_PER_RUN_MAX,
    });
    return { dates: days.map((d) => d.businessDate) };
  }

  const close = createSettlementCloseActivities(deps);
  const timed = stageTimer(deps.metrics);
  return {
    ...close,
    closeBankDay: timed('close', close.closeBankDay),
    reconcileBankDay: timed('reconcile', close.reconcileBankDay),
    aggregateSettlement: timed('aggregate', createSettlementAggregateActivities(deps).aggregateSettlement),
    storeSettlementFiles: timed('files', createSettlementFileActivities(deps, config).storeSettlementFiles),
    // A bank without a webhook has no delivery to time.
    deliverSettlementWebhook: timed('delivery', createSettlementWebhookActivities(deps).deliverSettlementWebhook, (out) => out.status === 'delivered'),
    ...createSettlementConfirmActivities(deps),
    settlementTriggerInfo,
    unsettledBankDaysOf,
    ...createProviderRegisterActivities(deps),
    ...createProviderRegisterWebhookActivities(deps, providerPush),
    ...createTransferCheckActivities(deps),
  };
}

/**
 * Wraps a stage's activity so each attempt that succeeds is observed in
 * spc_settlement_stage_duration_seconds{stage}; a failed attempt is retried and counted when it succeeds.
 */
function stageTimer(metrics: ActivityDeps['metrics']) {
  return <I, O>(stage: string, activity: (input: I) => Promise<O>, counts: (out: O) => boolean = () => true) =>
    async (input: I): Promise<O> => {
      const startedMs = performance.now();
      const out = await activity(input);
      if (counts(out)) metrics.settlementStageDuration.observe({ stage }, (performance.now() - startedMs) / 1000);
      return out;
    };
}

export type SettlementActivities = ReturnType<typeof createSettlementActivities>;
export type { SettlementConfig } from './settlement-support';
