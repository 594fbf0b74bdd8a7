// @ts-check
// Cashier workplace: type the personal account, see the invoice with what is still due, edit
// amounts, enter meter readings, accept; print the receipt. Talks to the bank API (/v1) with the
// bank's API key, kept in sessionStorage. Money is handled as integer tiyn (BigInt), never as a float.
//
// One payment attempt has one reference (bankRef). When an answer is lost (a timeout, a 5xx, no
// network) the payment may have gone through: before sending again, the page asks the SPC for the
// payment under that reference and, if it exists, shows it and lets the cashier keep it or cancel
// it. A 409 REFERENCE_CONFLICT is answered the same way. The page never mints a new reference
// while a payment it sent may stand, so the payer is never charged twice.
//
// Type-checked by `npm run typecheck` (tsconfig.cashier.json: checkJs with the DOM library) and
// linted by `npm run lint`; served as it is, no build step.
'use strict';

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
 * @typedef {{ ok: boolean, status: number, body: any }} ApiAnswer
 * @typedef {{ name: string, code: string, bic: string }} Bank
 */

(function cashier() {
  const KEY_STORAGE = 'spc.cashier.apiKey';

  /** @param {string} id @returns {HTMLElement} */
  function $(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`the page has no #${id}`);
    return node;
  }
  /** @param {string} id @returns {HTMLInputElement} */
  function inputEl(id) {
    const node = $(id);
    if (!(node instanceof HTMLInputElement)) throw new Error(`#${id} is not an input`);
    return node;
  }
  /** @param {string} id @returns {HTMLButtonElement} */
  function buttonEl(id) {
    const node = $(id);
    if (!(node instanceof HTMLButtonElement)) throw new Error(`#${id} is not a button`);
    return node;
  }
  /** @param {string} selector @returns {HTMLInputElement[]} */
  function inputs(selector) {
    return Array.from(document.querySelectorAll(selector)).filter((n) => n instanceof HTMLInputElement);
  }

  /** Every code the API can answer, in Russian. Unknown codes fall back to a generic message. @type {Readonly<Record<string, string>>} */
  const MESSAGES_RU = {
    ACCOUNT_NOT_FOUND: 'Лицевой счёт не найден в базе ЕРЦ. Проверьте номер на счёте-извещении.',
    NO_INVOICE: 'По этому лицевому счёту нет выставленного счёта-извещения.',
    INVALID_AMOUNT: 'Неверная сумма: сумма платежа должна быть больше нуля, не более двух знаков после запятой.',
    AMOUNT_MISMATCH: 'Суммы по услугам не совпадают с общей суммой платежа.',
    UNKNOWN_SERVICE: 'Этой услуги нет в счёте-извещении данного лицевого счёта.',
    NOTHING_DUE: 'По счёту нечего оплачивать: укажите суммы по услугам.',
    INVALID_READING: 'Неверные показания прибора учёта (или у услуги нет прибора учёта).',
    READING_BELOW_PREVIOUS: 'Текущие показания прибора учёта меньше предыдущих. Проверьте показания.',
    READING_IMPLAUSIBLE: 'Показания слишком велики для одного периода. Проверьте, нет ли лишней цифры.',
    REFERENCE_CONFLICT: 'Под этим номером операции в ЕРЦ уже есть другой платёж.',
    PAYMENT_NOT_FOUND: 'Платёж не найден.',
    BANK_DAY_CLOSED: 'Операционный день банка закрыт: платёж больше нельзя отменить.',
    PAYMENT_REJECTED: 'Платёж был отклонён ЕРЦ — отменять нечего.',
    PAYMENT_CANCELLED: 'Платёж уже отменён.',
    PAYMENT_EXCLUDED: 'Платёж исключён при сверке.',
    PAYMENT_CORRECTED: 'Платёж исправлен бэк-офисом ЕРЦ.',
    UNKNOWN_BANK: 'Банк не зарегистрирован в ЕРЦ.',
    INVALID_REQUEST: 'ЕРЦ не принял запрос: проверьте введённые данные.',
    UNAUTHORIZED: 'API-ключ не принят ЕРЦ. Введите действующий ключ банка.',
    VALIDATION_FAILED: 'Данные платежа не прошли проверку.',
    INVALID_JSON: 'Ошибка формирования запроса. Обновите страницу.',
    PAYLOAD_TOO_LARGE: 'Слишком большой запрос.',
    UNSUPPORTED_MEDIA_TYPE: 'Ошибка формирования запроса. Обновите страницу.',
    NOT_FOUND: 'Не найдено.',
    TIMEOUT: 'ЕРЦ не ответил вовремя. Нажмите «Принять платёж» ещё раз: сначала проверим, не прошёл ли платёж, — дважды он не будет проведён.',
    UNAVAILABLE: 'ЕРЦ временно недоступен. Повторите через минуту: сначала проверим, не прошёл ли платёж, — дважды он не будет проведён.',
    INTERNAL: 'Внутренняя ошибка ЕРЦ. Повторите попытку: сначала проверим, не прошёл ли платёж, — дважды он не будет проведён.',
    NETWORK: 'Нет связи с сервером ЕРЦ. Повторите попытку: сначала проверим, не прошёл ли платёж, — дважды он не будет проведён.',
  };

  /** @type {Readonly<Record<string, string>>} */
  const STATUS_RU = {
    accepted: 'принят ЕРЦ',
    settled: 'принят ЕРЦ, перечислен поставщикам',
    cancelled: 'отменён',
    excluded: 'исключён при сверке',
    corrected: 'исправлен бэк-офисом ЕРЦ',
  };

  const MONTHS_RU = ['январь', 'февраль', 'март', 'апрель', 'май', 'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'];
  const STILL_DUE_NOTE = '«Осталось к оплате» — за вычетом платежей, уже поступивших в этом периоде (net of payments already received in this period).';

  let apiKey = sessionStorage.getItem(KEY_STORAGE) || '';
  /** @type {Bank | null} */
  let bank = null;
  /** @type {Invoice | null} */
  let invoice = null;
  /** Fixed per payment attempt: a retried "accept" is the same payment. @type {string | null} */
  let bankRef = null;
  /**
   * Set when a payment was sent and no definite answer came back: it may stand in the SPC. Cleared
   * once the SPC has said what became of it. @type {{ account: string, bankRef: string } | null}
   */
  let unsure = null;
  /** The payment found under bankRef, while the cashier decides about it. @type {PaymentView | null} */
  let existing = null;
  /** @type {Receipt | null} */
  let lastPayment = null;
  let busy = false;

  // ---- money, as integer tiyn ------------------------------------------------------------------

  /** "1 234,5" → 123450n; null when not an amount. @param {string} text @returns {bigint | null} */
  function parseTiyn(text) {
    const t = String(text).replace(/[\s\u00a0]/g, '').replace(',', '.');
    if (t === '') return 0n;
    const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(t);
    if (!m) return null;
    return BigInt(m[1] ?? '0') * 100n + BigInt((m[2] || '').padEnd(2, '0'));
  }
  /** @param {bigint} n */
  const tiynToApi = (n) => `${n / 100n}.${String(n % 100n).padStart(2, '0')}`;
  /** @param {bigint | string} value */
  function amountRu(value) {
    const s = typeof value === 'bigint' ? tiynToApi(value) : String(value);
    const neg = s.startsWith('-');
    const [whole = '0', frac = '00'] = s.replace('-', '').split('.');
    return `${neg ? '−' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${frac}`;
  }
  /** @param {string} text @returns {string | null} */
  function normalizeReading(text) {
    const t = String(text).replace(/[\s\u00a0]/g, '').replace(',', '.');
    return /^\d{1,11}(\.\d{1,3})?$/.test(t) ? t : null;
  }
  /** @param {string} p */
  const periodRu = (p) => `${MONTHS_RU[Number(p.slice(5, 7)) - 1]} ${p.slice(0, 4)}`;
  /** @param {string} d */
  const dateRu = (d) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`;

  // ---- DOM helpers (no innerHTML with data: every value goes in as text) -------------------------

  /**
   * @param {string} tag
   * @param {Record<string, string | boolean | null | undefined>} [attrs]
   * @param {...(Node | string | null | undefined)} children
   * @returns {HTMLElement}
   */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = String(v);
      else if (k === 'text') node.textContent = String(v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  /** @param {'error' | 'info'} kind @param {string} text @param {string} [code] @param {string} [detail] */
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

  /** @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<ApiAnswer>} */
  async function api(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${apiKey}` };
    if (body) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    } catch (err) {
      return { ok: false, status: 0, body: { code: 'NETWORK', message: String(err instanceof Error ? err.message : err) } };
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = { code: 'INTERNAL', message: `HTTP ${res.status}` };
    }
    return { ok: res.ok, status: res.status, body: data };
  }

  /** No definite answer: the request may or may not have taken effect. @param {ApiAnswer} r */
  const answerLost = (r) => r.status === 0 || r.status >= 500;

  /** @param {ErrorBody | null} body */
  function showApiError(body) {
    const code = (body && body.code) || 'INTERNAL';
    const ru = MESSAGES_RU[code] || 'ЕРЦ отклонил операцию.';
    showMessage('error', ru, code, (body && body.message) || undefined);
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
    inputEl('api-key').value = '';
    inputEl('api-key').focus();
  }

  /** @param {string} key */
  async function login(key) {
    apiKey = key;
    const r = await api('GET', '/v1/bank');
    if (!r.ok) {
      apiKey = '';
      showMessage('error', r.status === 401 ? MESSAGES_RU.UNAUTHORIZED ?? '' : MESSAGES_RU[r.body.code] || MESSAGES_RU.INTERNAL || '', r.body.code);
      inputEl('api-key').select();
      return false;
    }
    bank = /** @type {Bank} */ (r.body);
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
    /** @param {number} n @param {number} [w] */
    const p = (n, w = 2) => String(n).padStart(w, '0');
    const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
    const rnd = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
    return `CASH-${stamp}-${rnd}`;
  }

  /** @param {string | null} ref */
  function setBankRef(ref) {
    bankRef = ref;
    $('bank-ref').textContent = ref || '';
  }

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

  /** @param {Invoice} inv */
  function renderInvoice(inv) {
    const heads = ['№', 'Услуга', 'Поставщик', 'Входящее сальдо', 'Начислено', 'К оплате по счёту', 'Поступило в периоде', 'Осталось к оплате', 'Предыдущие показания', 'Текущие показания', 'Оплачено'];
    const head = el('tr', {}, ...heads.map((t, i) => el('th', { class: i >= 3 && i <= 7 ? 'num' : undefined, text: t })));
    const total = el('tr', { class: 'total' },
      el('td', { colspan: '5', text: 'Итого к оплате' }),
      el('td', { class: 'num', text: amountRu(inv.totalDue) }),
      el('td', { class: 'num', text: amountRu(inv.totalPaid) }),
      el('td', { class: 'num', id: 'still-due-total', text: amountRu(inv.totalStillDue) }),
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
      el('table', {}, el('thead', {}, head), el('tbody', {}, ...inv.services.map(serviceRow), total)),
      el('p', { class: 'note', id: 'still-due-note', text: STILL_DUE_NOTE }));
    $('invoice-view').replaceChildren(view);
    recomputeTotal();
  }

  function fields() {
    return inputs('#pay-form input.field');
  }

  /** The entered amounts and readings; marks invalid inputs. */
  function collect() {
    let total = 0n;
    let valid = true;
    /** @type {Array<{ service: string, amount: string }>} */
    const lines = [];
    /** @type {Reading[]} */
    const readings = [];
    for (const input of inputs('#pay-form input.amount')) {
      const tiyn = parseTiyn(input.value);
      input.classList.toggle('invalid', tiyn === null);
      if (tiyn === null) { valid = false; continue; }
      total += tiyn;
      if (tiyn > 0n) lines.push({ service: String(input.dataset.service), amount: tiynToApi(tiyn) });
    }
    for (const input of inputs('#pay-form input.reading')) {
      if (input.value.trim() === '') { input.classList.remove('invalid'); continue; }
      const value = normalizeReading(input.value);
      input.classList.toggle('invalid', value === null);
      if (value === null) { valid = false; continue; }
      readings.push({ service: String(input.dataset.service), value });
    }
    return { valid, total, lines, readings };
  }

  function recomputeTotal() {
    const { valid, total } = collect();
    const text = valid ? amountRu(total) : '—';
    $('pay-total').textContent = text;
    const cell = document.getElementById('table-total');
    if (cell) cell.textContent = text;
  }

  async function lookUp() {
    if (busy) return;
    const account = inputEl('account').value.replace(/\D/g, '');
    inputEl('account').value = account;
    hideMessage();
    hideExisting();
    $('receipt-section').hidden = true;
    document.body.classList.remove('has-receipt');
    if (!/^\d{6,16}$/.test(account)) {
      showMessage('error', 'Введите номер лицевого счёта: от 6 до 16 цифр.', 'ACCOUNT_NOT_FOUND');
      inputEl('account').focus();
      return;
    }
    busy = true;
    const r = await api('GET', `/v1/accounts/${encodeURIComponent(account)}/invoice`);
    busy = false;
    if (!r.ok) {
      $('pay-form').hidden = true;
      invoice = null;
      showApiError(r.body);
      inputEl('account').select();
      return;
    }
    invoice = /** @type {Invoice} */ (r.body);
    // The same payer again while a payment of theirs may stand: the same attempt, the same reference.
    setBankRef(unsure && unsure.account === account ? unsure.bankRef : newBankRef());
    renderInvoice(invoice);
    $('pay-form').hidden = false;
    const first = fields()[0];
    if (first) { first.focus(); first.select(); }
  }

  // ---- a payment that may already stand ---------------------------------------------------------------

  function hideExisting() {
    existing = null;
    $('existing-section').hidden = true;
    $('existing').replaceChildren();
  }

  /** @param {PaymentView} p */
  function renderExisting(p) {
    const names = new Map((invoice ? invoice.services : []).map((s) => [s.code, s.name]));
    const rows = p.allocations.map((a) => el('tr', {}, el('td', { text: names.get(a.service) || a.service }), el('td', { class: 'num', text: amountRu(a.amount) })));
    $('existing').replaceChildren(
      el('h2', { text: `Под номером операции ${p.bankRef} в ЕРЦ уже есть платёж` }),
      el('dl', {},
        el('dt', { text: 'Сумма' }), el('dd', {}, el('b', { id: 'existing-amount', text: `${amountRu(p.amount)} тг` })),
        el('dt', { text: 'Состояние' }), el('dd', { id: 'existing-status', text: STATUS_RU[p.effectiveStatus] || p.effectiveStatus }),
        el('dt', { text: 'Лицевой счёт' }), el('dd', { text: p.account || '' }),
        el('dt', { text: 'Операционный день' }), el('dd', { text: p.businessDate ? dateRu(p.businessDate) : '' })),
      el('table', { id: 'existing-allocations' }, el('tbody', {}, ...rows)));
    const standing = p.status === 'accepted';
    $('existing-keep').hidden = !standing;
    $('existing-cancel').hidden = !standing;
    $('existing-anew').hidden = standing;
    $('existing-section').hidden = false;
    $('pay-form').hidden = true;
    (standing ? buttonEl('existing-keep') : buttonEl('existing-anew')).focus();
  }

  /**
   * Asks the SPC for the payment under bankRef. 'shown': it stands (or stood) and is on the screen
   * for the cashier to decide; 'free': there is none (or it was refused), the reference may be sent;
   * 'unknown': the SPC did not say, nothing may be sent yet.
   * @returns {Promise<'shown' | 'free' | 'unknown'>}
   */
  async function checkExisting() {
    showMessage('info', 'Проверяем в ЕРЦ, не прошёл ли уже платёж с этим номером операции…');
    busy = true;
    const r = await api('GET', `/v1/payments/${encodeURIComponent(String(bankRef))}`);
    busy = false;
    if (r.ok && r.body.status !== 'rejected') {
      existing = /** @type {PaymentView} */ (r.body);
      showMessage('info', existing.status === 'accepted'
        ? 'Платёж уже проведён в ЕРЦ. Оставьте его или отмените, прежде чем принимать другой.'
        : 'Платёж с этим номером операции уже не действует: примите платёж заново.');
      renderExisting(existing);
      return 'shown';
    }
    if (r.ok || r.status === 404) {
      unsure = null;
      return 'free';
    }
    showApiError(r.body);
    return 'unknown';
  }

  /** The cashier keeps the payment that went through: its receipt, as if the answer had come. */
  function keepExisting() {
    if (!existing || !invoice) return;
    const p = existing;
    unsure = null;
    hideExisting();
    hideMessage();
    lastPayment = { answer: p, invoice, readings: [], acceptedAt: p.postedAt ? new Date(p.postedAt) : new Date() };
    renderReceipt(lastPayment, false);
  }

  /** A new attempt for the same payer, once no payment of theirs stands under the old reference. */
  function payAnew() {
    unsure = null;
    hideExisting();
    setBankRef(newBankRef());
    $('pay-form').hidden = false;
    const first = fields().find((f) => f.classList.contains('amount'));
    if (first) { first.focus(); first.select(); }
  }

  async function cancelExisting() {
    if (busy || !existing) return;
    const p = existing;
    if (!window.confirm(`Отменить платёж ${p.bankRef} на сумму ${amountRu(p.amount)} тг?`)) return;
    busy = true;
    const r = await api('POST', `/v1/payments/${encodeURIComponent(p.bankRef)}/cancel`, { reason: 'отмена кассиром: платёж повторялся' });
    busy = false;
    if (!r.ok) {
      showApiError(r.body);
      return;
    }
    showMessage('info', `Платёж ${p.bankRef} отменён, сумма ${amountRu(r.body.reversedAmount)} тг сторнирована. Проверьте суммы и примите платёж заново.`);
    payAnew();
  }

  // ---- payment -------------------------------------------------------------------------------------

  async function accept() {
    if (busy || !invoice || !bankRef) return;
    hideMessage();
    const { valid, total, lines, readings } = collect();
    if (!valid) {
      showMessage('error', 'Исправьте выделенные поля: суммы — цифры с двумя знаками после запятой, показания — до трёх знаков.', 'VALIDATION_FAILED');
      const bad = document.querySelector('#pay-form input.invalid');
      if (bad instanceof HTMLInputElement) bad.focus();
      return;
    }
    if (total <= 0n) {
      showMessage('error', 'Сумма платежа должна быть больше нуля.', 'INVALID_AMOUNT');
      const first = fields().find((f) => f.classList.contains('amount'));
      if (first) first.focus();
      return;
    }
    // The last send got no answer: find out what became of it before sending anything again.
    if (unsure && (await checkExisting()) !== 'free') return;
    /** @type {Record<string, unknown>} */
    const body = { bankRef, account: invoice.account, channel: 'cash_desk', amount: tiynToApi(total), lines };
    if (readings.length > 0) body.readings = readings;
    busy = true;
    buttonEl('accept').disabled = true;
    showMessage('info', 'Платёж отправлен в ЕРЦ…');
    const r = await api('POST', '/v1/payments', body);
    busy = false;
    buttonEl('accept').disabled = false;
    if (!r.ok) {
      if (answerLost(r)) unsure = { account: invoice.account, bankRef };
      // A reference that names another payment: show that payment, never mint a new reference.
      if (r.body && r.body.code === 'REFERENCE_CONFLICT' && (await checkExisting()) === 'shown') return;
      showApiError(r.body);
      return;
    }
    unsure = null;
    hideMessage();
    lastPayment = { answer: /** @type {PaymentAnswer} */ (r.body), invoice, readings, acceptedAt: new Date() };
    renderReceipt(lastPayment, false);
  }

  /** @param {Receipt} p @param {boolean} cancelled */
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
    const last = lastPayment;
    if (!window.confirm(`Отменить платёж ${last.answer.bankRef} на сумму ${amountRu(last.answer.amount)} тг?`)) return;
    busy = true;
    const r = await api('POST', `/v1/payments/${encodeURIComponent(last.answer.bankRef)}/cancel`, { reason: 'отмена кассиром' });
    busy = false;
    if (!r.ok) {
      showApiError(r.body);
      return;
    }
    showMessage('info', `Платёж ${last.answer.bankRef} отменён, сумма ${amountRu(r.body.reversedAmount)} тг сторнирована.`);
    renderReceipt(last, true);
  }

  function resetAll() {
    invoice = null;
    setBankRef(null);
    hideExisting();
    inputEl('account').value = '';
    $('invoice-view').replaceChildren();
    $('pay-form').hidden = true;
    $('receipt-section').hidden = true;
    document.body.classList.remove('has-receipt');
    hideMessage();
    inputEl('account').focus();
  }

  // ---- keyboard --------------------------------------------------------------------------------------

  /** @param {KeyboardEvent} event @param {HTMLInputElement} input */
  function onFieldKey(event, input) {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) { void accept(); return; }
    const all = fields();
    const next = all[all.indexOf(input) + 1];
    if (next) { next.focus(); next.select(); } else buttonEl('accept').focus();
  }

  document.addEventListener('keydown', (event) => {
    const active = document.activeElement;
    if (event.key === 'Escape') {
      event.preventDefault();
      if (!$('key-section').hidden) return;
      resetAll();
    } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !$('pay-form').hidden) {
      event.preventDefault();
      void accept();
    } else if (event.key === 'Enter' && !$('receipt-section').hidden && active && active.id !== 'print' && active.id !== 'cancel-payment') {
      event.preventDefault();
      resetAll();
    }
  });

  // ---- wiring ------------------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('key-form').addEventListener('submit', (e) => { e.preventDefault(); void login(inputEl('api-key').value.trim()); });
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
    $('pay-form').addEventListener('keydown', (e) => { if (e.target instanceof HTMLInputElement) onFieldKey(e, e.target); });
    $('pay-form').addEventListener('focusin', (e) => { if (e.target instanceof HTMLInputElement) e.target.select(); });
    $('clear').addEventListener('click', resetAll);
    $('print').addEventListener('click', () => window.print());
    $('next').addEventListener('click', resetAll);
    $('cancel-payment').addEventListener('click', () => void cancelLast());
    $('existing-keep').addEventListener('click', keepExisting);
    $('existing-cancel').addEventListener('click', () => void cancelExisting());
    $('existing-anew').addEventListener('click', payAnew);
    if (apiKey) void login(apiKey).then((ok) => { if (!ok) askForKey(); });
    else askForKey();
  });
}());
