// The worker thread of infra/pdf-render-pool.ts: renders one file of invoices at a time.
import { parentPort } from 'node:worker_threads';
import { renderInvoicesPdf, type PrintInvoice } from './invoice-pdf';

export interface PdfRenderRequest {
  id: number;
  invoices: PrintInvoice[];
  period: string;
}

if (!parentPort) throw new Error('invariant: pdf-render-thread runs as a worker thread');
const port = parentPort;
port.on('message', (request: PdfRenderRequest) => {
  renderInvoicesPdf(request.invoices, request.period).then(
    (pdf) => {
      // A fresh ArrayBuffer moved to the caller, not copied.
      const bytes = new Uint8Array(pdf);
      port.postMessage({ id: request.id, pdf: bytes }, [bytes.buffer]);
    },
    (err: Error) => port.postMessage({ id: request.id, error: err.message }),
  );
});
