// All activities of the SPC worker, built from their dependencies.
import type { ActivityDeps } from './deps';
import { createPaymentActivities } from './payment';
import { createSettlementActivities } from './settlement';
import { createRegisterActivities } from './register';
import { createCorrectionActivities } from './correction';
import { createComplaintActivities } from './complaint';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPaymentActivities(deps),
    ...createSettlementActivities(deps),
    ...createRegisterActivities(deps),
    ...createCorrectionActivities(deps),
    ...createComplaintActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export { makeDeps } from './deps';
export type { ActivityDeps } from './deps';
