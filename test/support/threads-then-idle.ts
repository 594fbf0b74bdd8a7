// Run as a child process by test/unit/ts-thread.test.ts: uses a render thread and a parse thread
// once each, prints what it got and then leaves both idle without closing them. The process must
// end by itself: an idle thread holds nothing.
import { RegisterParser } from '../../api/register-parser';
import { PdfRenderPool } from '../../infra/pdf-render-pool';
import type { PrintInvoice } from '../../infra/invoice-pdf';

const qr = { name: 'SPC', personalAcc: 'KZ12345678901234567890', bankName: 'Halyk', bic: 'HSBKKZKX', payeeInn: '981140000038', persAcc: '1000001', period: '2026-12', amount: '10.00', purpose: 'Коммунальные услуги' };
const invoice: PrintInvoice = {
  accountNumber: '1000001', holderName: 'Тест', address: 'ул. Тестовая, д. 1', period: '2026-12', dueDate: '2026-12-25',
  totalDue: '10.00', totalPaid: '0.00', totalStillDue: '10.00', qr,
  lines: [{ serviceRu: 'Вода', serviceKk: 'Су', providerName: 'P', providerBin: '000000000000', providerIban: 'KZ00', unit: 'м3', openingBalance: '0.00', charged: '10.00', received: '0.00', stillDue: '10.00', previousReading: null }],
};

async function main(): Promise<void> {
  const pdf = await new PdfRenderPool(1).render([invoice], '2026-12');
  process.stdout.write(`pdf ${pdf.subarray(0, 5).toString()}\n`);
  const parsed = await new RegisterParser(0).parse(Buffer.from('not a register'), new Date()).then(() => 'answered', () => 'answered');
  process.stdout.write(`register ${parsed}\n`);
}

void main();
