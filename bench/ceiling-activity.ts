// The no-op activity of the benchmark's ceiling workflow: same scheduling cost, no work.
export function createCeilingActivities() {
  return {
    async noop(input: { n: number }): Promise<{ n: number }> {
      return input;
    },
  };
}

export type CeilingActivities = ReturnType<typeof createCeilingActivities>;
