// A queue of work that runs one item at a time in this process: the provider API reads and stores
// one charges upload at a time, so the parsed lines in memory are one upload's, not every upload's
// of the month at once (six providers' 4 M lines at 500,000 accounts took the API process down).
// The queue is bounded: past `waitingMax` waiting items, `run` refuses at once (OneAtATimeBusy, a
// 503 with Retry-After for the caller) instead of holding a body whose client will time out.
export class OneAtATimeBusy extends Error {
  override name = 'OneAtATimeBusy';
}

export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly waitingMax: number) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.waitingMax) return Promise.reject(new OneAtATimeBusy(`${this.waiting} item(s) wait already`));
    this.waiting += 1;
    const start = () => {
      this.waiting -= 1;
      return work();
    };
    const result = this.tail.then(start, start);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
