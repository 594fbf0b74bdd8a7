// Jest globalTeardown for the integration project: stops what global-setup started. Both run in jest's
// parent process and share globalThis; the state file is the fallback if that link is ever missing.
import fs from 'node:fs';
import { killLeftovers, TEST_STACK_GLOBAL, testStackStateFile, type TestStack, type TestStackState } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>)[TEST_STACK_GLOBAL] as TestStack | undefined;
  if (stack) {
    delete (globalThis as Record<string, unknown>)[TEST_STACK_GLOBAL];
    await stack.stop();
    return;
  }
  const stateFile = testStackStateFile();
  if (!fs.existsSync(stateFile)) return;
  killLeftovers(JSON.parse(fs.readFileSync(stateFile, 'utf8')) as TestStackState);
  fs.rmSync(stateFile, { force: true });
}
