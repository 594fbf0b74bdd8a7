// PDFs rendered on worker threads, one per core (at most PDF_RENDER_THREADS_MAX): pdfkit's text
// layout and deflate are synchronous CPU work, so one thread renders about one core's worth of
// invoices while the activity's own thread reads the next file's invoices from Postgres. Output
// is the same bytes as infra/invoice-pdf.ts in-process (the renderer is deterministic). A thread
// that dies fails the files it had; the next request starts a new one.
import os from 'node:os';
import path from 'node:path';
import type { PrintInvoice } from './invoice-pdf';
import type { PdfRenderRequest } from './pdf-render-thread';
import { TsThread } from './ts-thread';

export const PDF_RENDER_THREADS_MAX = 4;
/** Files waiting per thread: the caller keeps about this many in flight, no more. */
export const PDF_RENDER_QUEUE_PER_THREAD = 2;

type Pending = { resolve: (pdf: Buffer) => void; reject: (e: Error) => void; thread: TsThread };
type Reply = { id: number; pdf?: Uint8Array; error?: string };

export class PdfRenderPool {
  readonly threads: number;
  private readonly workers: Array<TsThread | undefined>;
  private readonly load: number[];
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(threads = Math.min(PDF_RENDER_THREADS_MAX, os.availableParallelism())) {
    this.threads = Math.max(1, threads);
    this.workers = new Array<TsThread | undefined>(this.threads).fill(undefined);
    this.load = new Array<number>(this.threads).fill(0);
  }

  /** How many files a caller should keep in flight to keep every thread busy. */
  get inFlightMax(): number {
    return this.threads * PDF_RENDER_QUEUE_PER_THREAD;
  }

  render(invoices: PrintInvoice[], period: string): Promise<Buffer> {
    let slot = 0;
    for (let i = 1; i < this.threads; i++) if ((this.load[i] as number) < (this.load[slot] as number)) slot = i;
    const thread = this.thread(slot);
    const id = this.nextId++;
    this.load[slot] = (this.load[slot] as number) + 1;
    return new Promise<Buffer>((resolve, reject) => {
      const done = () => { this.load[slot] = Math.max(0, (this.load[slot] as number) - 1); };
      this.pending.set(id, { resolve: (pdf) => { done(); resolve(pdf); }, reject: (e) => { done(); reject(e); }, thread });
      const request: PdfRenderRequest = { id, invoices, period };
      thread.post(request);
    });
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0, this.threads, ...new Array<TsThread | undefined>(this.threads).fill(undefined));
    await Promise.all(workers.map((t) => t?.worker.terminate()));
  }

  private thread(slot: number): TsThread {
    const existing = this.workers[slot];
    if (existing) return existing;
    const thread: TsThread = new TsThread(path.join(__dirname, 'pdf-render-thread.ts'), (message) => {
      const reply = message as Reply;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      thread.settle();
      if (reply.pdf) waiting.resolve(Buffer.from(reply.pdf.buffer, reply.pdf.byteOffset, reply.pdf.byteLength));
      else waiting.reject(new Error(`PDF render failed: ${reply.error ?? 'no result'}`));
    });
    const lost = (err: Error) => {
      if (this.workers[slot] === thread) this.workers[slot] = undefined;
      thread.settleAll();
      for (const [id, waiting] of this.pending) {
        if (waiting.thread !== thread) continue;
        this.pending.delete(id);
        waiting.reject(err);
      }
    };
    thread.worker.on('error', lost);
    thread.worker.on('exit', (code) => lost(new Error(`a PDF render thread exited (code ${code})`)));
    this.workers[slot] = thread;
    return thread;
  }
}
