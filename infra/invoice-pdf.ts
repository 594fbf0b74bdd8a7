// A household's invoice on A4 paper, Russian and Kazakh side by side, with the ST00012 payment QR
// (GOST R 56042, domain/payment-qr.ts). Output is deterministic: a fixed CreationDate (the
// invoice's period start) fixes PDFKit's file ID too, so a re-run of a print run is byte-identical.
// The font and what makes it cheap in a one-invoice document: infra/pdf-font.ts.
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { paymentQrText, type PaymentQrFields } from '../domain/payment-qr';
import { INVOICE_FONT, startFixedSubset } from './pdf-font';

export interface PrintInvoiceLine {
  serviceRu: string;
  serviceKk: string;
  providerName: string;
  providerBin: string;
  providerIban: string;
  unit: string | null;
  openingBalance: string;
  charged: string;
  received: string;
  stillDue: string;
  previousReading: string | null;
}

export interface PrintInvoice {
  accountNumber: string;
  holderName: string;
  address: string;
  /** YYYY-MM */
  period: string;
  /** YYYY-MM-DD */
  dueDate: string;
  /** The invoice's total as issued (sum of the lines' amount due). */
  totalDue: string;
  /** What the period's standing payments put on it. */
  totalPaid: string;
  /** What is still to pay: the QR's amount. */
  totalStillDue: string;
  lines: PrintInvoiceLine[];
  qr: PaymentQrFields;
}

const HEAD = ['Услуга / Қызмет', 'Сальдо / Қалдық', 'Начислено / Есептелді', 'Оплачено / Төленді', 'К оплате / Төлеуге', 'Пред. / Алдыңғы', 'Текущ. / Ағымдағы'];
/** QR mask 2 (vertical stripes): fixed, so the code is drawn without the library's 8-mask search. */
const QR_MASK_PATTERN = 2;
const COLUMN_X = [40, 190, 255, 330, 400, 465, 515];

/**
 * The QR drawn as vector squares, one filled path, from the code's matrix: no PNG to encode and
 * decode per page (that cost more than the rest of the page). The text goes in as one byte-mode
 * segment (UTF-8, which ST00012's "2" announces) and the mask is fixed: the library's search for
 * the best segmentation and mask took most of its time, and any mask gives a valid code.
 */
function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, sizePt: number): void {
  const qr = QRCode.create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], { errorCorrectionLevel: 'M', maskPattern: QR_MASK_PATTERN });
  const n = qr.modules.size;
  // The standard's quiet zone: four modules of white around the code.
  const quiet = 4;
  const cell = sizePt / (n + 2 * quiet);
  // In module units under one transform: the path is integers (short to write and to deflate), not
  // a float per corner formatted by pdfkit's rect().
  const ops: string[] = [];
  for (let row = 0; row < n; row++) {
    let run = -1;
    for (let col = 0; col <= n; col++) {
      const dark = col < n && qr.modules.get(row, col) === 1;
      if (dark && run < 0) run = col;
      if (!dark && run >= 0) {
        ops.push(`${run} ${row} ${col - run} 1 re`);
        run = -1;
      }
    }
  }
  doc.save().transform(cell, 0, 0, cell, x + quiet * cell, y + quiet * cell).fillColor('black');
  doc.addContent(`${ops.join('\n')}\nf`);
  doc.restore();
}

/** A cell's text on one line: no line wrapper (most of pdfkit's time per call); the columns are wide enough. */
const ONE_LINE = { lineBreak: false } as const;

/** Renders one invoice's page onto an open document. */
export async function drawInvoicePage(doc: PDFKit.PDFDocument, inv: PrintInvoice): Promise<void> {
  doc.font('DejaVu').fontSize(12).text(`Счёт-извещение / Шот-хабарлама · ${inv.period}`, 40, 40, ONE_LINE);
  doc.fontSize(9)
    .text(`Лицевой счёт / Дербес шот: ${inv.accountNumber}`, 40, 62, ONE_LINE)
    .text(`${inv.holderName}, ${inv.address}`, 40, 76, ONE_LINE)
    .text(`Оплатить до / Төлеу мерзімі: ${inv.dueDate}`, 40, 90, ONE_LINE)
    .text(`Получатель / Алушы: ${inv.qr.name}, БИН ${inv.qr.payeeInn}, ${inv.qr.personalAcc}, ${inv.qr.bic}`, 40, 104, ONE_LINE);
  let y = 130;
  doc.fontSize(7);
  HEAD.forEach((h, i) => doc.text(h, COLUMN_X[i] as number, y, { width: 62 }));
  y += 22;
  for (const line of inv.lines) {
    const cells = [`${line.serviceRu} / ${line.serviceKk}`, line.openingBalance, line.charged, line.received, line.stillDue, line.previousReading ?? '—'];
    cells.forEach((c, i) => doc.text(c, COLUMN_X[i] as number, y, ONE_LINE));
    if (line.previousReading !== null) doc.rect(515, y - 2, 55, 12).stroke();
    doc.text(`${line.providerName}, БИН ${line.providerBin}, ${line.providerIban}`, 40, y + 10, ONE_LINE);
    y += 26;
  }
  doc.fontSize(9)
    .text(`Начислено к оплате / Төлеуге есептелді: ${inv.totalDue} KZT`, 40, y + 6, ONE_LINE)
    .text(`Оплачено / Төленді: ${inv.totalPaid} KZT`, 40, y + 20, ONE_LINE);
  doc.fontSize(11).text(`Итого к оплате / Барлығы төлеуге: ${inv.totalStillDue} KZT`, 40, y + 36, ONE_LINE);
  doc.fontSize(7).text('Текущие показания впишите в рамку / Ағымдағы көрсеткіштерді жақтауға жазыңыз. QR: ГОСТ Р 56042 ST00012.', 40, y + 56, ONE_LINE);
  drawQr(doc, paymentQrText(inv.qr), 420, 30, 120);
}

/** A PDF of several invoices, one page each, as one buffer. */
export async function renderInvoicesPdf(invoices: readonly PrintInvoice[], period: string): Promise<Buffer> {
  const doc = new PDFDocument({
    // No default font: pdfkit would load Helvetica's metrics for every document and never use them.
    size: 'A4', autoFirstPage: false, compress: true, font: null as unknown as string,
    info: { Title: `Invoices ${period}`, Producer: 'SPC', Creator: 'SPC', CreationDate: new Date(`${period}-01T00:00:00Z`) },
  });
  doc.registerFont('DejaVu', INVOICE_FONT);
  startFixedSubset(doc, 'DejaVu');
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  for (const inv of invoices) {
    doc.addPage({ size: 'A4', margin: 30 });
    await drawInvoicePage(doc, inv);
  }
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
