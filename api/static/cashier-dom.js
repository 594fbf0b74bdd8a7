// @ts-check
// DOM helpers of the cashier page: typed look-ups and element building. No innerHTML with data:
// every value goes in as text.

/** @param {string} id @returns {HTMLElement} */
export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}
/** @param {string} id @returns {HTMLInputElement} */
export function inputEl(id) {
  const node = $(id);
  if (!(node instanceof HTMLInputElement)) throw new Error(`#${id} is not an input`);
  return node;
}
/** @param {string} id @returns {HTMLButtonElement} */
export function buttonEl(id) {
  const node = $(id);
  if (!(node instanceof HTMLButtonElement)) throw new Error(`#${id} is not a button`);
  return node;
}
/** @param {string} selector @returns {HTMLInputElement[]} */
export function inputs(selector) {
  return Array.from(document.querySelectorAll(selector)).filter((n) => n instanceof HTMLInputElement);
}

/**
 * @param {string} tag
 * @param {Record<string, string | boolean | null | undefined>} [attrs]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs, ...children) {
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
export function showMessage(kind, text, code, detail) {
  const box = $('message');
  box.className = `message ${kind} no-print`;
  box.replaceChildren(el('span', { text }));
  if (code || detail) box.append(el('span', { class: 'code', text: [code, detail].filter(Boolean).join(': ') }));
  box.hidden = false;
}
export function hideMessage() {
  $('message').hidden = true;
}
