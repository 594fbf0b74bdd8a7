// Polling until a condition holds: workflows finish on their own schedule, and tests on a shared
// 2-core machine must wait for them without asserting on time.
export const WAIT_MS_DEFAULT = 180_000;
export const POLL_MS_DEFAULT = 250;

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = WAIT_MS_DEFAULT,
  pollMs = POLL_MS_DEFAULT,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
