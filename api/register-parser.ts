// Registers are parsed off the API's event loop (issue 16, item 10): a 20 MiB register took the
// loop for about 2.6 s, during which no other request of any bank was answered. A file above
// REGISTER_INLINE_BYTES_MAX goes to one worker thread (api/register-parse-thread.ts) that parses
// one register at a time; small files, most of them, are parsed inline, which is quicker than the
// round trip. At most REGISTER_PARSES_WAITING_MAX big files wait for the thread: more answer 503
// with Retry-After, so a burst of uploads bounds its own memory and CPU.
import path from 'node:path';
import { parseRegisterUpload, type RegisterUpload } from './register-upload';
import type { RegisterParseRequest } from './register-parse-thread';
import { TsThread } from '../infra/ts-thread';

/** Up to this size a register is parsed inline (a few thousand rows: milliseconds). */
export const REGISTER_INLINE_BYTES_MAX = 256 * 1024;
/** Big registers parsing or waiting for the thread, per API process. */
export const REGISTER_PARSES_WAITING_MAX = 4;

/** Thrown when REGISTER_PARSES_WAITING_MAX big registers are already waiting: a 503 for the caller. */
export class RegisterParserBusy extends Error {
  override name = 'RegisterParserBusy';
}

type Pending = { resolve: (r: RegisterUpload) => void; reject: (e: Error) => void };
type Reply = { id: number; result?: RegisterUpload; error?: string };

export class RegisterParser {
  private worker?: TsThread;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly inlineBytesMax = REGISTER_INLINE_BYTES_MAX) {}

  async parse(body: Buffer, receivedAt: Date): Promise<RegisterUpload> {
    if (body.length <= this.inlineBytesMax) return parseRegisterUpload(body, receivedAt);
    if (this.pending.size >= REGISTER_PARSES_WAITING_MAX) throw new RegisterParserBusy(`${this.pending.size} registers are being parsed`);
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<RegisterUpload>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: RegisterParseRequest = { id, body, receivedAtMs: receivedAt.getTime() };
      worker.post(request);
    });
  }

  /** Stops the thread; a parse in flight is refused. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the register parser was stopped'));
    worker?.settleAll();
    await worker?.worker.terminate();
  }

  private thread(): TsThread {
    if (this.worker) return this.worker;
    const worker: TsThread = new TsThread(path.join(__dirname, 'register-parse-thread.ts'), (message) => {
      const reply = message as Reply;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      worker.settle();
      if (reply.result) waiting.resolve(reply.result);
      else waiting.reject(new Error(`register parse failed: ${reply.error ?? 'no result'}`));
    });
    const lost = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      worker.settleAll();
      this.failAll(err);
    };
    worker.worker.on('error', lost);
    worker.worker.on('exit', (code) => lost(new Error(`the register parse thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
