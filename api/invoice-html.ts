// The invoice image: the consolidated invoice laid out like the SPC's paper one, in Russian, as a
// self-contained printable HTML page (styles inlined, no scripts). Every value is HTML-escaped.
import { createHash } from 'node:crypto';
import type { InvoiceView } from './invoice';

export const SPC_NAME = 'АО «АЛСЕКО» — Единый расчётный центр г. Алматы';

/** Printed under the table: the invoice's "still due" column is not the amount the invoice was issued for. */
export const STILL_DUE_NOTE_RU = '«Осталось к оплате» — за вычетом платежей, уже поступивших в этом периоде.';
export const STILL_DUE_NOTE_EN = 'Still due: net of payments already received in this period.';

const MONTHS_RU = ['январь', 'февраль', 'март', 'апрель', 'май', 'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'];

/** The page's one <style> element: the shared invoice stylesheet and the page margin. */
function invoiceStyleText(css: string): string {
  return `\nbody { margin: 16px; background: #fff; }\n${css}\n`;
}

/**
 * The invoice page's Content-Security-Policy: nothing runs, nothing loads from elsewhere; the one
 * inline <style> is allowed by its hash (not 'unsafe-inline'), so markup injected through a value
 * that escaped escaping could neither run script nor restyle the page.
 */
export function invoiceCsp(css: string): string {
  const styleHash = createHash('sha256').update(invoiceStyleText(css), 'utf8').digest('base64');
  return `default-src 'self'; script-src 'none'; style-src 'sha256-${styleHash}'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** "2026-11" → "ноябрь 2026". */
export function periodRu(period: string): string {
  const [year, month] = period.split('-');
  return `${MONTHS_RU[Number(month) - 1] ?? month} ${year}`;
}

/** "2026-12-25" → "25.12.2026". */
export function dateRu(date: string): string {
  const [y, m, d] = date.split('-');
  return `${d}.${m}.${y}`;
}

/** "12345.50" → "12 345,50": how amounts are printed on Russian-language paper. */
export function amountRu(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', frac = '00'] = amount.replace('-', '').split('.');
  return `${negative ? '−' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${frac}`;
}

export function renderInvoiceHtml(invoice: InvoiceView, css: string): string {
  const e = escapeHtml;
  const rows = invoice.services
    .map(
      (s, i) => `
        <tr>
          <td class="num">${i + 1}</td>
          <td>${e(s.name)}<br><span class="code">${e(s.code)}</span></td>
          <td class="prov">${e(s.providerName)}</td>
          <td class="num">${e(amountRu(s.openingBalance))}</td>
          <td class="num">${e(amountRu(s.charged))}</td>
          <td class="num">${e(amountRu(s.amountDue))}</td>
          <td class="num">${e(amountRu(s.paid))}</td>
          <td class="num"><b>${e(amountRu(s.stillDue))}</b></td>
          <td class="num">${s.meter ? `${e(s.meter.previousReading)}${s.meter.unit ? ` ${e(s.meter.unit)}` : ''}<br><span class="code">№ ${e(s.meter.serialNo)}</span>` : '—'}</td>
          <td class="blank">${s.meter ? '' : '—'}</td>
          <td class="blank"></td>
        </tr>`,
    )
    .join('');
  return `<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<title>Единый счёт-извещение — лицевой счёт ${e(invoice.account)} — ${e(periodRu(invoice.period))}</title>
<style>${invoiceStyleText(css)}</style>
</head>
<body>
<div class="invoice" id="invoice">
  <div class="inv-head">
    <div class="inv-issuer"><b>${e(SPC_NAME)}</b><br>Платёжный документ на оплату коммунальных услуг</div>
    <div class="inv-title">
      <h1>Единый счёт-извещение</h1>
      <div class="inv-period">за ${e(periodRu(invoice.period))}</div>
    </div>
  </div>
  <div class="inv-payer">
    <span class="lbl">Лицевой счёт</span><span class="acct">${e(invoice.account)}</span>
    <span class="lbl">Оплатить до</span><span>${e(dateRu(invoice.dueDate))}</span>
    <span class="lbl">Плательщик</span><span>${e(invoice.holder)}</span>
    <span class="lbl">Валюта</span><span>тенге (KZT)</span>
    <span class="lbl">Адрес</span><span>${e(invoice.address)}</span>
  </div>
  <table>
    <thead>
      <tr>
        <th>№</th><th>Услуга</th><th>Поставщик</th><th class="num">Входящее сальдо</th><th class="num">Начислено</th>
        <th class="num">К оплате по счёту</th><th class="num">Поступило в периоде</th><th class="num">Осталось к оплате</th><th>Предыдущие показания</th><th>Текущие показания</th><th>Оплачено</th>
      </tr>
    </thead>
    <tbody>${rows}
      <tr class="total">
        <td colspan="5">Итого к оплате</td><td class="num">${e(amountRu(invoice.totalDue))}</td><td class="num">${e(amountRu(invoice.totalPaid))}</td>
        <td class="num" id="total-still-due">${e(amountRu(invoice.totalStillDue))}</td><td colspan="3"></td>
      </tr>
    </tbody>
  </table>
  <div class="inv-foot">
    <div>Входящее сальдо: долг (+) или переплата (−) на начало периода.<br>${e(STILL_DUE_NOTE_RU)} <span lang="en" class="code">${e(STILL_DUE_NOTE_EN)}</span><br>Показания приборов учёта принимаются с 20 по 30 число.</div>
    <div class="inv-stamp">Штамп банка</div>
  </div>
  <div class="inv-cut">✂ линия отреза — квитанция остаётся в банке</div>
  <div class="inv-receipt">
    <span>Квитанция к счёту-извещению</span><span>за ${e(periodRu(invoice.period))}</span>
    <span>Лицевой счёт</span><b>${e(invoice.account)}</b>
    <span>Плательщик</span><span>${e(invoice.holder)}</span>
    <span>Осталось к оплате</span><b>${e(amountRu(invoice.totalStillDue))} тг</b>
    <span>Оплачено</span><span>____________ тг &nbsp; Подпись кассира ____________</span>
  </div>
</div>
</body>
</html>
`;
}
