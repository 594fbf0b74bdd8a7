// What the operator pages' scripts (ops.js, ops-periods.js) build their tables with. Text goes in
// with textContent only, so nothing from the data is ever parsed as HTML.
'use strict';

window.spcOpsDom = (function () {
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children || []) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    return node;
  }

  function link(href, text) {
    if (!href) return el('span', { text: '' });
    return el('a', { href, target: '_blank', rel: 'noopener noreferrer', text });
  }

  function num(text) {
    return el('td', { class: 'num', text: text === null || text === undefined ? '' : String(text) });
  }

  function fill(tableId, rows) {
    document.querySelector(`#${tableId} tbody`).replaceChildren(...rows);
  }

  return { el, link, num, fill };
})();
