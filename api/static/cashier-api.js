// @ts-check
// The cashier page's one way to the bank API (/v1): every answer, a lost one included, comes back as
// { ok, status, body } so that the page decides what a lost answer means (api/static/cashier.js).

/** @typedef {{ ok: boolean, status: number, body: any }} ApiAnswer */

/** @param {string} apiKey @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<ApiAnswer>} */
export async function apiCall(apiKey, method, path, body) {
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
export const answerLost = (r) => r.status === 0 || r.status >= 500;
