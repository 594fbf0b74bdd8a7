// @ts-check
// Money as integer tiyn (BigInt, never a float) and the invoice's Russian way of printing amounts,
// periods and dates: pure functions of the cashier page (api/static/cashier.js).

export const MONTHS_RU = ['январь', 'февраль', 'март', 'апрель', 'май', 'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'];

/** "1 234,5" → 123450n; null when not an amount. @param {string} text @returns {bigint | null} */
export function parseTiyn(text) {
  const t = String(text).replace(/[\s\u00a0]/g, '').replace(',', '.');
  if (t === '') return 0n;
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return null;
  return BigInt(m[1] ?? '0') * 100n + BigInt((m[2] || '').padEnd(2, '0'));
}
/** @param {bigint} n */
export const tiynToApi = (n) => `${n / 100n}.${String(n % 100n).padStart(2, '0')}`;
/** @param {bigint | string} value */
export function amountRu(value) {
  const s = typeof value === 'bigint' ? tiynToApi(value) : String(value);
  const neg = s.startsWith('-');
  const [whole = '0', frac = '00'] = s.replace('-', '').split('.');
  return `${neg ? '−' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${frac}`;
}
/** @param {string} text @returns {string | null} */
export function normalizeReading(text) {
  const t = String(text).replace(/[\s\u00a0]/g, '').replace(',', '.');
  return /^\d{1,11}(\.\d{1,3})?$/.test(t) ? t : null;
}
/** @param {string} p */
export const periodRu = (p) => `${MONTHS_RU[Number(p.slice(5, 7)) - 1]} ${p.slice(0, 4)}`;
/** @param {string} d */
export const dateRu = (d) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`;
