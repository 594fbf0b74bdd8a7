// A worker thread that runs a TypeScript file: the sources run through tsx (bin/spc.js), so the
// thread loads them the same way. An idle thread does not keep the process alive; a request waiting
// for its reply does (post() refs the thread, the last settle() unrefs it again).
//
// The 'message' listener is attached BEFORE unref(): Node refs a worker's message port again when
// the first 'message' listener is added, so a listener added after unref() left every render and
// parse thread holding its process (jest waited after its last suite until the CI limit).
import { Worker } from 'node:worker_threads';

export class TsThread {
  readonly worker: Worker;
  private waiting = 0;

  constructor(file: string, onMessage: (message: unknown) => void) {
    const source = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
    this.worker = new Worker(source, { eval: true });
    this.worker.on('message', onMessage);
    this.worker.unref();
  }

  /** Sends one request; the process stays alive until settle() is called for it. */
  post(message: unknown): void {
    if (this.waiting++ === 0) this.worker.ref();
    this.worker.postMessage(message);
  }

  /** One request answered or failed. */
  settle(): void {
    if (this.waiting === 0) return;
    if (--this.waiting === 0) this.worker.unref();
  }

  /** Every request failed at once (the thread died or was stopped). */
  settleAll(): void {
    if (this.waiting === 0) return;
    this.waiting = 0;
    this.worker.unref();
  }
}
