// The no-op activity of the benchmark's ceiling workflow: same scheduling cost, no work.
export function createBenchActivities() {
  return {
    async noop(input: { n: number }): Promise<{ n: number }> {
      return input;
    },
  };
}
