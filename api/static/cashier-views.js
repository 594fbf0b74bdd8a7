// @ts-check
// What the cashier page shows, built from the API's answers: the invoice, a payment found under a
// reference, the receipt. Pure builders of DOM nodes; the page (api/static/cashier.js) places them.
import { el } from './cashier-dom.js';
import { amountRu, dateRu, periodRu } from './cashier-format.js';
import { STATUS_RU, STILL_DUE_NOTE } from './cashier-messages.js';

/**
 * @typedef {{ serialNo: string, unit: string | null, previousReading: string }} Meter
 * @typedef {{ code: string, name: string, provider: string, providerName: string, openingBalance: string, charged: string,
 *             amountDue: string, paid: string, stillDue: string, meter: Meter | null }} InvoiceService
 * @typedef {{ account: string, holder: string, address: string, period: string, dueDate: string, currency: string,
 *             totalDue: string, totalPaid: string, totalStillDue: string, services: InvoiceService[] }} Invoice
 * @typedef {{ service: string, provider: string, amount: string }} Allocation
 * @typedef {{ paymentId: string, bankRef: string, amount: string, businessDate: string, allocations: Allocation[] }} PaymentAnswer
 * @typedef {PaymentAnswer & { status: string, effectiveStatus: string, account?: string, postedAt?: string }} PaymentView
 * @typedef {{ service: string, value: string }} Reading
 * @typedef {{ answer: PaymentAnswer, invoice: Invoice, readings: Reading[], acceptedAt: Date }} Receipt
 * @typedef {{ code?: string, message?: string }} ErrorBody
 * @typedef {{ name: string, code: string, bic: string }} Bank
 */

/** @param {InvoiceService} s @param {number} i */
function serviceRow(s, i) {
  return el('tr', { 'data-service': s.code },
    el('td', { class: 'num', text: String(i + 1) }),
    el('td', {}, s.name, el('br'), el('span', { class: 'code', text: s.code })),
    el('td', { class: 'prov', text: s.providerName }),
    el('td', { class: 'num', text: amountRu(s.openingBalance) }),
    el('td', { class: 'num', text: amountRu(s.charged) }),
    el('td', { class: 'num', text: amountRu(s.amountDue) }),
    el('td', { class: 'num', text: amountRu(s.paid) }),
    el('td', { class: 'num' }, el('b', { text: amountRu(s.stillDue) })),
    el('td', { class: 'num' }, s.meter ? `${s.meter.previousReading}${s.meter.unit ? ` ${s.meter.unit}` : ''}` : '—',
      s.meter ? el('br') : null, s.meter ? el('span', { class: 'code', text: `№ ${s.meter.serialNo}` }) : null),
    el('td', { class: 'num' }, s.meter
      ? el('input', { class: 'reading field', name: `reading-${s.code}`, 'data-service': s.code, inputmode: 'decimal', 'aria-label': `Текущие показания: ${s.name}`, placeholder: s.meter.previousReading })
      : '—'),
    // What is still due, not the printed amount: a payment already received is not asked for again.
    el('td', { class: 'num' }, el('input', { class: 'amount field', name: `amount-${s.code}`, 'data-service': s.code, inputmode: 'decimal', value: amountRu(s.stillDue), 'aria-label': `Оплачено: ${s.name}` })),
  );
}

/** The invoice as the payer's paper shows it, with an amount and a reading field per service. @param {Invoice} inv */
export function invoiceView(inv) {
  const heads = ['№', 'Услуга', 'Поставщик', 'Входящее сальдо', 'Начислено', 'К оплате по счёту', 'Поступило в периоде', 'Осталось к оплате', 'Предыдущие показания', 'Текущие показания', 'Оплачено'];
  const head = el('tr', {}, ...heads.map((t, i) => el('th', { class: i >= 3 && i <= 7 ? 'num' : undefined, text: t })));
  const total = el('tr', { class: 'total' },
    el('td', { colspan: '5', text: 'Итого к оплате' }),
    el('td', { class: 'num', text: amountRu(inv.totalDue) }),
    el('td', { class: 'num', text: amountRu(inv.totalPaid) }),
    el('td', { class: 'num', id: 'still-due-total', text: amountRu(inv.totalStillDue) }),
    el('td', { colspan: '2', text: 'Итого принимается' }),
    el('td', { class: 'num', id: 'table-total' }));
  return el('div', { class: 'invoice', id: 'invoice' },
    el('div', { class: 'inv-head' },
      el('div', { class: 'inv-issuer' }, el('b', { text: 'АО «АЛСЕКО» — Единый расчётный центр г. Алматы' }), el('br'), 'Платёжный документ на оплату коммунальных услуг'),
      el('div', { class: 'inv-title' }, el('h1', { text: 'Единый счёт-извещение' }), el('div', { class: 'inv-period', text: `за ${periodRu(inv.period)}` }))),
    el('div', { class: 'inv-payer' },
      el('span', { class: 'lbl', text: 'Лицевой счёт' }), el('span', { class: 'acct', text: inv.account }),
      el('span', { class: 'lbl', text: 'Оплатить до' }), el('span', { text: dateRu(inv.dueDate) }),
      el('span', { class: 'lbl', text: 'Плательщик' }), el('span', { text: inv.holder }),
      el('span', { class: 'lbl', text: 'Валюта' }), el('span', { text: 'тенге (KZT)' }),
      el('span', { class: 'lbl', text: 'Адрес' }), el('span', { text: inv.address })),
    el('table', {}, el('thead', {}, head), el('tbody', {}, ...inv.services.map(serviceRow), total)),
    el('p', { class: 'note', id: 'still-due-note', text: STILL_DUE_NOTE }));
}

/** What the SPC holds under a reference the page sent. @param {PaymentView} p @param {Invoice | null} invoice @returns {Node[]} */
export function existingView(p, invoice) {
  const names = new Map((invoice ? invoice.services : []).map((s) => [s.code, s.name]));
  const rows = p.allocations.map((a) => el('tr', {}, el('td', { text: names.get(a.service) || a.service }), el('td', { class: 'num', text: amountRu(a.amount) })));
  return [
    el('h2', { text: `Под номером операции ${p.bankRef} в ЕРЦ уже есть платёж` }),
    el('dl', {},
      el('dt', { text: 'Сумма' }), el('dd', {}, el('b', { id: 'existing-amount', text: `${amountRu(p.amount)} тг` })),
      el('dt', { text: 'Состояние' }), el('dd', { id: 'existing-status', text: STATUS_RU[p.effectiveStatus] || p.effectiveStatus }),
      el('dt', { text: 'Лицевой счёт' }), el('dd', { text: p.account || '' }),
      el('dt', { text: 'Операционный день' }), el('dd', { text: p.businessDate ? dateRu(p.businessDate) : '' })),
    el('table', { id: 'existing-allocations' }, el('tbody', {}, ...rows))];
}

/** The receipt the cashier prints for the payer. @param {Receipt} p @param {boolean} cancelled @param {Bank | null} bank */
export function receiptView(p, cancelled, bank) {
  const inv = p.invoice;
  const names = new Map(inv.services.map((s) => [s.code, s]));
  const rows = p.answer.allocations.map((a) => {
    const s = names.get(a.service);
    return el('tr', {}, el('td', { text: s ? s.name : a.service }), el('td', { text: s ? s.providerName : a.provider }), el('td', { class: 'num', text: amountRu(a.amount) }));
  });
  const readingRows = p.readings.map((r) => {
    const s = names.get(r.service);
    return el('tr', {}, el('td', { text: s ? s.name : r.service }), el('td', { class: 'num', text: s && s.meter ? s.meter.previousReading : '' }), el('td', { class: 'num', text: r.value }));
  });
  return el('div', { class: `receipt${cancelled ? ' cancelled' : ''}`, id: 'receipt-body' },
    el('h2', { text: 'Квитанция об оплате' }),
    el('div', { class: 'sub', text: `Коммунальные услуги · Единый счёт-извещение за ${periodRu(inv.period)}` }),
    el('dl', {},
      el('dt', { text: 'Банк' }), el('dd', { text: bank ? `${bank.name}, БИК ${bank.bic}` : '' }),
      el('dt', { text: 'Дата и время' }), el('dd', { text: p.acceptedAt.toLocaleString('ru-RU') }),
      el('dt', { text: 'Номер операции' }), el('dd', { text: p.answer.bankRef }),
      el('dt', { text: 'Платёж в ЕРЦ' }), el('dd', { text: p.answer.paymentId }),
      el('dt', { text: 'Лицевой счёт' }), el('dd', {}, el('b', { text: inv.account })),
      el('dt', { text: 'Плательщик' }), el('dd', { text: inv.holder }),
      el('dt', { text: 'Адрес' }), el('dd', { text: inv.address }),
      el('dt', { text: 'Операционный день' }), el('dd', { text: dateRu(p.answer.businessDate) })),
    el('table', {},
      el('thead', {}, el('tr', {}, el('th', { text: 'Услуга' }), el('th', { text: 'Поставщик' }), el('th', { text: 'Сумма, тг' }))),
      el('tbody', {}, ...rows, el('tr', { class: 'total' }, el('td', { colspan: '2', text: 'Итого оплачено' }), el('td', { class: 'num', id: 'receipt-total', text: amountRu(p.answer.amount) })))),
    readingRows.length > 0
      ? el('table', {},
        el('thead', {}, el('tr', {}, el('th', { text: 'Прибор учёта' }), el('th', { text: 'Предыдущие показания' }), el('th', { text: 'Текущие показания' }))),
        el('tbody', {}, ...readingRows))
      : null,
    el('div', { class: 'ok', id: 'receipt-status', text: cancelled ? 'ПЛАТЁЖ ОТМЕНЁН' : 'Платёж принят ЕРЦ' }),
    el('div', { class: 'sign' }, el('span', { text: 'Кассир ____________' }), el('span', { class: 'stamp', text: cancelled ? 'ОТМЕНЁН' : `ОПЛАЧЕНО\n${dateRu(p.answer.businessDate)}` })));
}
