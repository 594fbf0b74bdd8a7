// All activities of the SPC worker, built from their dependencies.
import type { ActivityDeps } from './deps';
import { createPaymentActivities } from './payment';
import { createSettlementActivities } from './settlement';
import { createRegisterActivities } from './register';
import { createCorrectionActivities } from './correction';
import { createComplaintActivities } from './complaint';
import { createPeriodActivities } from './period-close';
import { complaintDeadlinesFromEnv, settlementConfigFromEnv, type SpcConfig } from '../infra/config';

/** The configuration activities take: from the worker's SpcConfig; read from the environment when absent (tests). */
export type ActivityConfig = Pick<SpcConfig, 'settlement' | 'complaintDeadlines'>;

export function createActivities(deps: ActivityDeps, config?: ActivityConfig) {
  return {
    ...createPaymentActivities(deps),
    ...createSettlementActivities(deps, config?.settlement ?? settlementConfigFromEnv()),
    ...createRegisterActivities(deps),
    ...createCorrectionActivities(deps),
    ...createComplaintActivities(deps, config?.complaintDeadlines ?? complaintDeadlinesFromEnv()),
    ...createPeriodActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export { makeDeps } from './deps';
export type { ActivityDeps } from './deps';
