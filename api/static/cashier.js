// Cashier workplace: type the personal account, see the invoice with amounts due, edit amounts,
// enter meter readings, accept; print the receipt. Talks to the bank API (/v1) with the bank's API
// key, kept in sessionStorage. Money is handled as integer tiyn (BigInt), never as a float.
'use strict';
(function cashier() {
  const KEY_STORAGE = 'spc.cashier.apiKey';
  const $ = (id) => document.getElementById(id);

  /** Every code the API can answer, in Russian. Unknown codes fall back to a generic message. */
  const MESSAGES_RU = {
    ACCOUNT_NOT_FOUND: 'Лицевой счёт не найден в базе ЕРЦ. Проверьте номер на счёте-извещении.',
    NO_INVOICE: 'По этому лицевому счёту нет выставленного счёта-извещения.',
    INVALID_AMOUNT: 'Неверная сумма: сумма платежа должна быть больше нуля, не более двух знаков после запятой.',
    AMOUNT_MISMATCH: 'Суммы по услугам не совпадают с общей суммой платежа.',
    UNKNOWN_SERVICE: 'Этой услуги нет в счёте-извещении данного лицевого счёта.',
    NOTHING_DUE: 'По счёту нечего оплачивать: укажите суммы по услугам.',
    INVALID_READING: 'Неверные показания прибора учёта (или у услуги нет прибора учёта).',
    READING_BELOW_PREVIOUS: 'Текущие показания прибора учёта меньше предыдущих. Проверьте показания.',
    REFERENCE_CONFLICT: 'Номер операции уже использован для другого платежа. Очистите форму и проведите платёж заново.',
    PAYMENT_NOT_FOUND: 'Платёж не найден.',
    BANK_DAY_CLOSED: 'Операционный день банка закрыт: платёж больше нельзя отменить.',
    PAYMENT_REJECTED: 'Платёж был отклонён ЕРЦ — отменять нечего.',
    UNKNOWN_BANK: 'Банк не зарегистрирован в ЕРЦ.',
    INVALID_REQUEST: 'ЕРЦ не принял запрос: проверьте введённые данные.',
    UNAUTHORIZED: 'API-ключ не принят ЕРЦ. Введите действующий ключ банка.',
    VALIDATION_FAILED: 'Данные платежа не прошли проверку.',
    INVALID_JSON: 'Ошибка формирования запроса. Обновите страницу.',
    PAYLOAD_TOO_LARGE: 'Слишком большой запрос.',
    UNSUPPORTED_MEDIA_TYPE: 'Ошибка формирования запроса. Обновите страницу.',
    NOT_FOUND: 'Не найдено.',
    TIMEOUT: 'ЕРЦ не ответил вовремя. Нажмите «Принять платёж» ещё раз — платёж не будет проведён дважды.',
    UNAVAILABLE: 'ЕРЦ временно недоступен. Повторите через минуту — платёж не будет проведён дважды.',
    INTERNAL: 'Внутренняя ошибка ЕРЦ. Повторите попытку — платёж не будет проведён дважды.',
    NETWORK: 'Нет связи с сервером ЕРЦ. Повторите попытку — платёж не будет проведён дважды.',
  };

  const MONTHS_RU = ['январь', 'февраль', 'март', 'апрель', 'май', 'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'];

  let apiKey = sessionStorage.getItem(KEY_STORAGE) || '';
  let bank = null;
  let invoice = null;
  let bankRef = null; // fixed per payment attempt: a retried "accept" is the same payment
  let lastPayment = null;
  let busy = false;

  // ---- money, as integer tiyn ------------------------------------------------------------------

  /** "1 234,5" → 123450n; null when not an amount. */
  function parseTiyn(text) {
    const t = String(text).replace(/[\s\u00a0]/g, '').replace(',', '.');
    if (t === '') return 0n;
    const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(t);
    if (!m) return null;
    return BigInt(m[1]) * 100n + BigInt((m[2] || '').padEnd(2, '0'));
  }
  const tiynToApi = (n) => `${n / 100n}.${String(n % 100n).padStart(2, '0')}`;
  function amountRu(value) {
    const s = typeof value === 'bigint' ? tiynToApi(value) : String(value);
    const neg = s.startsWith('-');
    const [whole, frac = '00'] = s.replace('-', '').split('.');
    return `${neg ? '−' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${frac}`;
  }
  function normalizeReading(text) {
    const t = String(text).replace(/[\s\u00a0]/g, '').replace(',', '.');
    return /^\d{1,11}(\.\d{1,3})?$/.test(t) ? t : null;
  }
  const periodRu = (p) => `${MONTHS_RU[Number(p.slice(5, 7)) - 1]} ${p.slice(0, 4)}`;
  const dateRu = (d) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`;

  // ---- DOM helpers (no innerHTML with data: every value goes in as text) -------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function showMessage(kind, text, code, detail) {
    const box = $('message');
    box.className = `message ${kind} no-print`;
    box.replaceChildren(el('span', { text }));
    if (code || detail) box.append(el('span', { class: 'code', text: [code, detail].filter(Boolean).join(': ') }));
    box.hidden = false;
  }
  function hideMessage() {
    $('message').hidden = true;
  }

  // ---- API ---------------------------------------------------------------------------------------

  async function api(method, path, body) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: Object.assign({ authorization: `Bearer ${apiKey}` }, body ? { 'content-type': 'application/json' } : {}),
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      return { ok: false, status: 0, body: { code: 'NETWORK', message: String(err && err.message) } };
    }
    let data = null;
    try {
      data = await res.json();
    } catch (err) {
      data = { code: 'INTERNAL', message: `HTTP ${res.status}` };
    }
    return { ok: res.ok, status: res.status, body: data };
  }

  function showApiError(body) {
    const code = (body && body.code) || 'INTERNAL';
    const ru = MESSAGES_RU[code] || 'ЕРЦ отклонил операцию.';
    showMessage('error', ru, code, body && body.message);
    if (code === 'UNAUTHORIZED') askForKey();
  }

  // ---- key -----------------------------------------------------------------------------------------

  function askForKey() {
    sessionStorage.removeItem(KEY_STORAGE);
    apiKey = '';
    $('work-section').hidden = true;
    $('change-key').hidden = true;
    $('bank-name').textContent = '';
    $('key-section').hidden = false;
    $('api-key').value = '';
    $('api-key').focus();
  }

  async function login(key) {
    apiKey = key;
    const r = await api('GET', '/v1/bank');
    if (!r.ok) {
      apiKey = '';
      showMessage('error', r.status === 401 ? MESSAGES_RU.UNAUTHORIZED : MESSAGES_RU[r.body.code] || MESSAGES_RU.INTERNAL, r.body.code);
      $('api-key').select();
      return false;
    }
    bank = r.body;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('bank-name').textContent = `${bank.name} (${bank.code})`;
    $('change-key').hidden = false;
    $('key-section').hidden = true;
    $('work-section').hidden = false;
    hideMessage();
    resetAll();
    return true;
  }

  // ---- invoice -------------------------------------------------------------------------------------

  function newBankRef() {
    const d = new Date();
    const p = (n, w = 2) => String(n).padStart(w, '0');
    const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
    const rnd = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
    return `CASH-${stamp}-${rnd}`;
  }

  function renderInvoice(inv) {
    const rows = inv.services.map((s, i) =>
      el('tr', { 'data-service': s.code },
        el('td', { class: 'num', text: String(i + 1) }),
        el('td', {}, s.name, el('br'), el('span', { class: 'code', text: s.code })),
        el('td', { class: 'prov', text: s.providerName }),
        el('td', { class: 'num', text: amountRu(s.openingBalance) }),
        el('td', { class: 'num', text: amountRu(s.charged) }),
        el('td', { class: 'num' }, el('b', { text: amountRu(s.amountDue) })),
        el('td', { class: 'num' }, s.meter ? `${s.meter.previousReading}${s.meter.unit ? ` ${s.meter.unit}` : ''}` : '—',
          s.meter ? el('br') : null, s.meter ? el('span', { class: 'code', text: `№ ${s.meter.serialNo}` }) : null),
        el('td', { class: 'num' }, s.meter
          ? el('input', { class: 'reading field', name: `reading-${s.code}`, 'data-service': s.code, inputmode: 'decimal', 'aria-label': `Текущие показания: ${s.name}`, placeholder: s.meter.previousReading })
          : '—'),
        el('td', { class: 'num' }, el('input', { class: 'amount field', name: `amount-${s.code}`, 'data-service': s.code, inputmode: 'decimal', value: amountRu(s.amountDue), 'aria-label': `Оплачено: ${s.name}` })),
      ));
    const head = el('tr', {}, ...['№', 'Услуга', 'Поставщик', 'Входящее сальдо', 'Начислено', 'К оплате', 'Предыдущие показания', 'Текущие показания', 'Оплачено']
      .map((t, i) => el('th', { class: i >= 3 && i <= 5 ? 'num' : undefined, text: t })));
    const total = el('tr', { class: 'total' },
      el('td', { colspan: '5', text: 'Итого к оплате' }),
      el('td', { class: 'num', text: amountRu(inv.totalDue) }),
      el('td', { colspan: '2', text: 'Итого принимается' }),
      el('td', { class: 'num', id: 'table-total' }));
    const view = el('div', { class: 'invoice', id: 'invoice' },
      el('div', { class: 'inv-head' },
        el('div', { class: 'inv-issuer' }, el('b', { text: 'АО «АЛСЕКО» — Единый расчётный центр г. Алматы' }), el('br'), 'Платёжный документ на оплату коммунальных услуг'),
        el('div', { class: 'inv-title' }, el('h1', { text: 'Единый счёт-извещение' }), el('div', { class: 'inv-period', text: `за ${periodRu(inv.period)}` }))),
      el('div', { class: 'inv-payer' },
        el('span', { class: 'lbl', text: 'Лицевой счёт' }), el('span', { class: 'acct', text: inv.account }),
        el('span', { class: 'lbl', text: 'Оплатить до' }), el('span', { text: dateRu(inv.dueDate) }),
        el('span', { class: 'lbl', text: 'Плательщик' }), el('span', { text: inv.holder }),
        el('span', { class: 'lbl', text: 'Валюта' }), el('span', { text: 'тенге (KZT)' }),
        el('span', { class: 'lbl', text: 'Адрес' }), el('span', { text: inv.address })),
      el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows, total)));
    $('invoice-view').replaceChildren(view);
    recomputeTotal();
  }

  function fields() {
    return Array.from(document.querySelectorAll('#pay-form input.field'));
  }

  /** The entered amounts and readings; marks invalid inputs. */
  function collect() {
    let total = 0n;
    let valid = true;
    const lines = [];
    const readings = [];
    for (const input of document.querySelectorAll('#pay-form input.amount')) {
      const tiyn = parseTiyn(input.value);
      input.classList.toggle('invalid', tiyn === null);
      if (tiyn === null) { valid = false; continue; }
      total += tiyn;
      if (tiyn > 0n) lines.push({ service: input.dataset.service, amount: tiynToApi(tiyn) });
    }
    for (const input of document.querySelectorAll('#pay-form input.reading')) {
      if (input.value.trim() === '') { input.classList.remove('invalid'); continue; }
      const value = normalizeReading(input.value);
      input.classList.toggle('invalid', value === null);
      if (value === null) { valid = false; continue; }
      readings.push({ service: input.dataset.service, value });
    }
    return { valid, total, lines, readings };
  }

  function recomputeTotal() {
    const { valid, total } = collect();
    const text = valid ? amountRu(total) : '—';
    $('pay-total').textContent = text;
    const cell = $('table-total');
    if (cell) cell.textContent = text;
  }

  async function lookUp() {
    if (busy) return;
    const account = $('account').value.replace(/\D/g, '');
    $('account').value = account;
    hideMessage();
    $('receipt-section').hidden = true;
    document.body.classList.remove('has-receipt');
    if (!/^\d{6,16}$/.test(account)) {
      showMessage('error', 'Введите номер лицевого счёта: от 6 до 16 цифр.', 'ACCOUNT_NOT_FOUND');
      $('account').focus();
      return;
    }
    busy = true;
    const r = await api('GET', `/v1/accounts/${encodeURIComponent(account)}/invoice`);
    busy = false;
    if (!r.ok) {
      $('pay-form').hidden = true;
      invoice = null;
      showApiError(r.body);
      $('account').select();
      return;
    }
    invoice = r.body;
    bankRef = newBankRef();
    renderInvoice(invoice);
    $('pay-form').hidden = false;
    const first = fields()[0];
    if (first) { first.focus(); first.select(); }
  }

  // ---- payment -------------------------------------------------------------------------------------

  async function accept() {
    if (busy || !invoice) return;
    hideMessage();
    const { valid, total, lines, readings } = collect();
    if (!valid) {
      showMessage('error', 'Исправьте выделенные поля: суммы — цифры с двумя знаками после запятой, показания — до трёх знаков.', 'VALIDATION_FAILED');
      const bad = document.querySelector('#pay-form input.invalid');
      if (bad) bad.focus();
      return;
    }
    if (total <= 0n) {
      showMessage('error', 'Сумма платежа должна быть больше нуля.', 'INVALID_AMOUNT');
      const first = fields().find((f) => f.classList.contains('amount'));
      if (first) first.focus();
      return;
    }
    const body = { bankRef, account: invoice.account, channel: 'cash_desk', amount: tiynToApi(total), lines };
    if (readings.length > 0) body.readings = readings;
    busy = true;
    $('accept').disabled = true;
    showMessage('info', 'Платёж отправлен в ЕРЦ…');
    const r = await api('POST', '/v1/payments', body);
    busy = false;
    $('accept').disabled = false;
    if (!r.ok) {
      showApiError(r.body);
      // A refused payment may be corrected and sent again; a conflict needs a new reference.
      if (r.body && r.body.code === 'REFERENCE_CONFLICT') bankRef = newBankRef();
      return;
    }
    hideMessage();
    lastPayment = { request: body, answer: r.body, invoice, readings, acceptedAt: new Date() };
    renderReceipt(lastPayment, false);
  }

  function renderReceipt(p, cancelled) {
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
    const receipt = el('div', { class: `receipt${cancelled ? ' cancelled' : ''}`, id: 'receipt-body' },
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
    $('receipt').replaceChildren(receipt);
    $('pay-form').hidden = true;
    $('receipt-section').hidden = false;
    $('cancel-payment').hidden = cancelled;
    document.body.classList.add('has-receipt');
    $('next').focus();
  }

  async function cancelLast() {
    if (busy || !lastPayment) return;
    if (!window.confirm(`Отменить платёж ${lastPayment.answer.bankRef} на сумму ${amountRu(lastPayment.answer.amount)} тг?`)) return;
    busy = true;
    const r = await api('POST', `/v1/payments/${encodeURIComponent(lastPayment.answer.bankRef)}/cancel`, { reason: 'отмена кассиром' });
    busy = false;
    if (!r.ok) {
      showApiError(r.body);
      return;
    }
    showMessage('info', `Платёж ${lastPayment.answer.bankRef} отменён, сумма ${amountRu(r.body.reversedAmount)} тг сторнирована.`);
    renderReceipt(lastPayment, true);
  }

  function resetAll() {
    invoice = null;
    bankRef = null;
    $('account').value = '';
    $('invoice-view').replaceChildren();
    $('pay-form').hidden = true;
    $('receipt-section').hidden = true;
    document.body.classList.remove('has-receipt');
    hideMessage();
    $('account').focus();
  }

  // ---- keyboard --------------------------------------------------------------------------------------

  function onFieldKey(event) {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) { void accept(); return; }
    const all = fields();
    const i = all.indexOf(event.target);
    const next = all[i + 1];
    if (next) { next.focus(); next.select(); } else $('accept').focus();
  }

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      if (!$('key-section').hidden) return;
      resetAll();
    } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !$('pay-form').hidden) {
      event.preventDefault();
      void accept();
    } else if (event.key === 'Enter' && !$('receipt-section').hidden && document.activeElement && document.activeElement.id !== 'print' && document.activeElement.id !== 'cancel-payment') {
      event.preventDefault();
      resetAll();
    }
  });

  // ---- wiring ------------------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('key-form').addEventListener('submit', (e) => { e.preventDefault(); void login($('api-key').value.trim()); });
    $('change-key').addEventListener('click', askForKey);
    $('account-form').addEventListener('submit', (e) => { e.preventDefault(); void lookUp(); });
    $('pay-form').addEventListener('submit', (e) => { e.preventDefault(); void accept(); });
    $('pay-form').addEventListener('input', recomputeTotal);
    // A valid amount is shown back the way the invoice prints amounts: "2500" → "2 500,00".
    $('pay-form').addEventListener('change', (e) => {
      const input = e.target;
      if (!(input instanceof HTMLInputElement) || !input.classList.contains('amount')) return;
      const tiyn = parseTiyn(input.value);
      if (tiyn !== null) input.value = amountRu(tiyn);
    });
    $('pay-form').addEventListener('keydown', (e) => { if (e.target instanceof HTMLInputElement) onFieldKey(e); });
    $('pay-form').addEventListener('focusin', (e) => { if (e.target instanceof HTMLInputElement) e.target.select(); });
    $('clear').addEventListener('click', resetAll);
    $('print').addEventListener('click', () => window.print());
    $('next').addEventListener('click', resetAll);
    $('cancel-payment').addEventListener('click', () => void cancelLast());
    if (apiKey) void login(apiKey).then((ok) => { if (!ok) askForKey(); });
    else askForKey();
  });
}());
