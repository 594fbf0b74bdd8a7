// Every workflow the SPC worker runs. The worker bundles this file once.
export { paymentWorkflow } from './payment';
export { cancellationWorkflow } from './cancellation';
export { settlementWorkflow } from './settlement';
export { settlementTriggerWorkflow } from './settlement-trigger';
export { registerWorkflow } from './register';
export { correctionWorkflow } from './correction';
export { complaintWorkflow } from './complaint';
export { chargeUploadWorkflow } from './charge-upload';
export { printRunWorkflow } from './print-run';
export { mailDeliveryWorkflow } from './mail-delivery';
export { periodCloseWorkflow } from './period';
export { periodTriggerWorkflow } from './period-trigger';
export { providerRegisterPushWorkflow } from './provider-register-push';
export { transferCheckWorkflow } from './transfer-check';
