// All activities of the SPC worker, built from their dependencies.
import type { ActivityDeps } from './deps';
import { createPaymentActivities } from './payment';
import { createSettlementActivities } from './settlement';
import { createRegisterActivities } from './register';
import { createCorrectionActivities } from './correction';
import { createComplaintActivities } from './complaint';
import { createChargeUploadActivities } from './charge-upload';
import { createPrintRunActivities } from './print-run';
import { createMailDeliveryActivities } from './mail-delivery';
import { complaintDeadlinesFromEnv, householdConfigFromEnv, settlementConfigFromEnv, type SpcConfig } from '../infra/config';
import { createPeriodActivities } from './period-close';
import { createPeriodApprovalActivities } from './period-approval';
import { heartbeating } from './heartbeat';

/** The configuration activities take: from the worker's SpcConfig; read from the environment when absent (tests). */
export type ActivityConfig = Pick<SpcConfig, 'settlement' | 'complaintDeadlines'> & Partial<Pick<SpcConfig, 'households' | 'providerPush'>>;

export function createActivities(deps: ActivityDeps, config?: ActivityConfig) {
  const settlement = config?.settlement ?? settlementConfigFromEnv();
  const households = config?.households ?? householdConfigFromEnv();
  const requisites = { spcName: settlement.spcName, spcBin: settlement.spcBin, spcIban: households.spcIban, spcBic: households.spcBic, spcBankName: households.spcBankName };
  return {
    ...createPaymentActivities(deps),
    ...createSettlementActivities(deps, settlement, config?.providerPush),
    ...createRegisterActivities(deps),
    ...createCorrectionActivities(deps),
    ...createChargeUploadActivities(deps),
    ...createComplaintActivities(deps, config?.complaintDeadlines ?? complaintDeadlinesFromEnv()),
    ...createPrintRunActivities(deps, { printDir: households.printDir, requisites }),
    ...createMailDeliveryActivities(deps, { households, requisites }),
    ...heartbeating(createPeriodActivities(deps)),
    ...createPeriodApprovalActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export { makeDeps } from './deps';
export type { ActivityDeps } from './deps';
