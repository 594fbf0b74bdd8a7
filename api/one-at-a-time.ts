// A queue of work that runs one item at a time in this process: the provider API reads and stores
// one charges upload at a time, so the parsed lines in memory are one upload's, not every upload's
// of the month at once (six providers' 4 M lines at 500,000 accounts took the API process down).
// Waiting uploads hold only their raw bodies (each bounded by CHARGES_BODY_BYTES_MAX).
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
