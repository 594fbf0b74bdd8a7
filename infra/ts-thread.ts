// A worker thread that runs a TypeScript file: the sources run through tsx (bin/spc.js), so the
// thread loads them the same way. Unreferenced: an idle thread does not keep the process alive
// (a request waiting for its reply does).
import { Worker } from 'node:worker_threads';

export function startTsThread(file: string): Worker {
  const source = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  const worker = new Worker(source, { eval: true });
  worker.unref();
  return worker;
}
