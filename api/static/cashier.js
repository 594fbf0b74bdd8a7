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
// An ES module with its parts beside it (cashier-*.js: money and dates, DOM helpers, messages, the
// API call, the views); type-checked by `npm run typecheck` (tsconfig.cashier.json: checkJs with
// the DOM library) and linted by `npm run lint`; served as they are, no build step.
import { answerLost, apiCall } from './cashier-api.js';
import { $, buttonEl, hideMessage, inputEl, inputs, showMessage } from './cashier-dom.js';
import { amountRu, normalizeReading, parseTiyn, tiynToApi } from './cashier-format.js';
import { MESSAGES_RU } from './cashier-messages.js';
import { existingView, invoiceView, receiptView } from './cashier-views.js';

/**
 * @typedef {import('./cashier-views.js').Invoice} Invoice
 * @typedef {import('./cashier-views.js').PaymentAnswer} PaymentAnswer
 * @typedef {import('./cashier-views.js').PaymentView} PaymentView
 * @typedef {import('./cashier-views.js').Reading} Reading
 * @typedef {import('./cashier-views.js').Receipt} Receipt
 * @typedef {import('./cashier-views.js').ErrorBody} ErrorBody
 * @typedef {import('./cashier-views.js').Bank} Bank
 */

const KEY_STORAGE = 'spc.cashier.apiKey';

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

/** @param {string} method @param {string} path @param {unknown} [body] */
const api = (method, path, body) => apiCall(apiKey, method, path, body);

// ---- API ---------------------------------------------------------------------------------------

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

/** @param {Invoice} inv */
function renderInvoice(inv) {
  $('invoice-view').replaceChildren(invoiceView(inv));
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
  $('existing').replaceChildren(...existingView(p, invoice));
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
  $('receipt').replaceChildren(receiptView(p, cancelled, bank));
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
