// The SPC's workflows with one careless change to paymentWorkflow: it now waits a moment before
// posting. Harmless-looking, but every recorded payment history posted first, so replaying them
// against this code is a nondeterminism; the replay tests expect `spc audit replay` to say so.
import { sleep } from '@temporalio/workflow';
import { paymentWorkflow as currentPaymentWorkflow, type PaymentWorkflowInput } from '../../workflows/payment';

export * from '../../workflows';

export async function paymentWorkflow(input: PaymentWorkflowInput): ReturnType<typeof currentPaymentWorkflow> {
  await sleep('1 second');
  return currentPaymentWorkflow(input);
}
