// A test-only workflow in its first shipped version: one timer, then the greeting. Its recorded
// history (test/histories/patched/patch-demo-v1.json) is what running executions of v1 look like.
import { sleep } from '@temporalio/workflow';

export async function patchDemoWorkflow(name: string): Promise<string> {
  await sleep('10 ms');
  return `hello ${name}`;
}
