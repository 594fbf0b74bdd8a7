import { inflateSync } from 'node:zlib';
import { paymentQrText } from '../../domain/payment-qr';
import { renderInvoicesPdf, type PrintInvoice } from '../../infra/invoice-pdf';

const qr = { name: 'АО «ALSECO»', personalAcc: 'KZ12345678901234567890', bankName: 'Halyk', bic: 'HSBKKZKX', payeeInn: '981140000038', persAcc: '1000001', period: '2026-12', amount: '12345.60', purpose: 'Коммунальные услуги' };
const invoice: PrintInvoice = {
  accountNumber: '1000001', holderName: 'Әсел Қайратқызы', address: 'Алмалинский р-н, ул. Абая, д. 1, кв. 2',
  period: '2026-12', dueDate: '2026-12-25', totalDue: '12345.60', totalPaid: '0.00', totalStillDue: '12345.60', qr,
  lines: [{ serviceRu: 'Электроэнергия', serviceKk: 'Электр энергиясы (әғқңөұүһі)', providerName: 'АЖК', providerBin: '000000000000', providerIban: 'KZ00', unit: 'кВт·ч', openingBalance: '100.00', charged: '12245.60', received: '0.00', stillDue: '12345.60', previousReading: '1234.500' }],
};

describe('paymentQrText (GOST R 56042 ST00012)', () => {
  it('writes the header, the sum in minor units and the period as MMYYYY', () => {
    const text = paymentQrText(qr);
    expect(text.startsWith('ST00012|Name=АО «ALSECO»|')).toBe(true);
    expect(text).toContain('|Sum=1234560|');
    expect(text).toContain('|PersAcc=1000001|PaymPeriod=122026');
  });
  it('refuses a separator in a value and a non-two-decimal amount', () => {
    expect(() => paymentQrText({ ...qr, name: 'a|b' })).toThrow(RangeError);
    expect(() => paymentQrText({ ...qr, amount: '1.5' })).toThrow(RangeError);
  });
});

describe('renderInvoicesPdf', () => {
  it('is byte-identical on a re-run and embeds the font', async () => {
    const a = await renderInvoicesPdf([invoice, invoice], '2026-12');
    const b = await renderInvoicesPdf([invoice, invoice], '2026-12');
    expect(a.subarray(0, 5).toString()).toBe('%PDF-');
    expect(a.equals(b)).toBe(true);
    expect(a.toString('latin1')).toMatch(/DejaVuSans/);
    expect(a.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(2);
  });
  it('maps the Kazakh letters in the embedded font (ToUnicode CMap)', async () => {
    const pdf = (await renderInvoicesPdf([invoice], '2026-12')).toString('latin1');
    const streams = [...pdf.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)].map((m) => {
      try { return inflateSync(Buffer.from(m[1] as string, 'latin1')).toString('latin1'); } catch { return ''; }
    });
    const cmap = streams.find((s) => s.includes('beginbfrange') || s.includes('beginbfchar')) ?? '';
    for (const letter of 'әғқңөұүһі') expect(cmap.toLowerCase()).toContain(letter.charCodeAt(0).toString(16).padStart(4, '0'));
  });
});
