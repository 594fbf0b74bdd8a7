// The same change as v2 without patched(): a v1 history no longer replays (nondeterminism), which
// is what `spc audit replay` must catch before such code is deployed.
import { sleep } from '@temporalio/workflow';

export async function patchDemoWorkflow(name: string): Promise<string> {
  await sleep('5 ms');
  await sleep('10 ms');
  return `hello ${name}`;
}
