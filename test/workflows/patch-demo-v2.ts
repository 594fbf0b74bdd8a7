// Version 2 of the test-only workflow: a new step (a second timer) guarded by patched(). New runs
// take it and record a marker; a v1 history has no marker, so patched() answers false while it
// replays and the old path is taken: v1 histories stay replayable.
import { patched, sleep } from '@temporalio/workflow';

export const PATCH_ID = 'extra-wait-before-greeting';

export async function patchDemoWorkflow(name: string): Promise<string> {
  if (patched(PATCH_ID)) await sleep('5 ms');
  await sleep('10 ms');
  return `hello ${name}`;
}
