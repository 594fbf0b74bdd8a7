// Every workflow the SPC worker runs. The worker bundles this file once.
export { paymentWorkflow } from './payment';
export { cancellationWorkflow } from './cancellation';
export { settlementWorkflow, settlementTriggerWorkflow } from './settlement';
export { registerWorkflow } from './register';
export { correctionWorkflow } from './correction';
export { complaintWorkflow } from './complaint';
