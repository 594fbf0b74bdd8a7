// The period page's script: fetches /ops/api/periods and the chosen period
// (/ops/api/periods/<YYYY-MM>, from ?period= or the newest period that is not open) and redraws,
// then again every REFRESH_MS. Text goes in with textContent only.
'use strict';

(function () {
  const REFRESH_MS = 5000;

  const { el, link, num, fill } = window.spcOpsDom;

  function chosen(periods) {
    const asked = new URLSearchParams(location.search).get('period');
    if (asked) return asked;
    const notOpen = periods.find((p) => p.state !== 'open');
    return (notOpen || periods[0] || {}).period;
  }

  function approvalText(a, error) {
    if (error) return `Approval unknown: ${error}`;
    if (!a) return 'No close proposed yet: spc period close --period <month> (a supervisor or admin), then a second one approves.';
    const refused = a.refusals.map((r) => ` Refused: ${r.operator} (${r.code}).`).join('');
    if (a.status === 'awaiting' || a.status === 'proposing') return `Proposed by ${a.proposedBy}: waiting for a second supervisor or admin (spc period approve --period ${a.period}).${refused}`;
    const d = a.decision;
    return `Proposed by ${a.proposedBy}, ${a.status}${d ? ` by ${d.operator} at ${new Date(d.at).toLocaleString()}${d.note ? `: ${d.note}` : ''}` : ''}.${refused}`;
  }

  function renderList(periods) {
    fill('periods', periods.map((p) => el('tr', { 'data-period': p.period }, [
      el('td', {}, [el('a', { href: `/ops/periods?period=${encodeURIComponent(p.period)}`, text: p.period })]),
      el('td', { class: `state state-${p.state}`, text: p.state }),
      el('td', { text: p.step || '' }),
      num(p.balances), num(p.invoicesIssued), num(p.closingTotal),
      el('td', { text: (p.missingProviders || []).join(', ') }),
      el('td', {}, [link(p.ui, 'close')]),
    ])));
  }

  /** The approve and reject forms of a close waiting for a second person; kept while a reason is typed. */
  function renderDecision(v) {
    const box = document.getElementById('period-decision');
    const waiting = Boolean(v.approval && (v.approval.status === 'awaiting' || v.approval.status === 'proposing'));
    box.hidden = !waiting;
    if (!waiting) {
      box.replaceChildren();
      box.removeAttribute('data-period');
      return;
    }
    if (box.getAttribute('data-period') === v.period && box.childElementCount > 0) return;
    box.setAttribute('data-period', v.period);
    box.replaceChildren(...window.spcOpsDecide.forms(`/ops/api/periods/${encodeURIComponent(v.period)}`, `the close of ${v.period}`));
  }

  function renderPeriod(v) {
    document.getElementById('period-section').hidden = false;
    document.getElementById('period-name').textContent = v.period;
    document.getElementById('period-state').textContent = v.state;
    document.getElementById('period-close').textContent = v.step
      ? `Close at step ${v.step}${v.startedBy ? `, started by ${v.startedBy}` : ''}: ${v.balances || 0} balances, ${v.paymentsCounted || 0} payments counted, ${v.invoicesIssued || 0} invoices issued${v.nextDueDate ? ` (due ${v.nextDueDate})` : ''}.`
      : 'Not closing.';
    document.getElementById('approval').textContent = approvalText(v.approval, v.approvalError);
    renderDecision(v);
    document.getElementById('upload-deadline').textContent = v.uploadDeadline;
    fill('providers', v.providers.map((p) => el('tr', { 'data-provider': p.provider, class: p.status === 'uploaded' ? null : p.status }, [
      el('td', { text: p.provider }),
      el('td', { class: `state state-${p.status}`, text: p.version === null ? 'missing' : `v${p.version}${p.status === 'late' ? ' (late)' : ''}` }),
      el('td', { text: p.uploadedAt ? new Date(p.uploadedAt).toLocaleString() : '' }),
      num(p.rowsAccepted), num(p.rowsRefused), num(p.charged), num(p.recalculated), num(p.closing),
    ])));
    const t = v.totals;
    fill('totals', t ? [el('tr', {}, [num(t.opening), num(t.charged), num(t.recalculated), num(t.paid), num(t.corrected), num(t.closing)])] : []);
    fill('exceptions', v.exceptions.map((x) => el('tr', { 'data-kind': x.kind }, [
      el('td', { text: x.kind }), el('td', { text: x.provider || '' }), num(x.count), num(x.total), el('td', { text: x.detail }),
    ])));
  }

  function showError(text) {
    const box = document.getElementById('error');
    box.textContent = text || '';
    box.hidden = !text;
  }

  async function getJson(path) {
    const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401) throw new Error('session ended: reload the page and sign in again');
    if (!res.ok) throw new Error(`the server answered ${res.status} for ${path}`);
    return res.json();
  }

  async function load() {
    try {
      const { periods } = await getJson('/ops/api/periods');
      renderList(periods);
      const p = chosen(periods);
      if (p) renderPeriod(await getJson(`/ops/api/periods/${encodeURIComponent(p)}`));
      document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
      showError('');
    } catch (err) {
      showError(`Refresh failed (${err.message}); showing the last data.`);
    }
  }

  async function refresh() {
    await load();
    setTimeout(refresh, REFRESH_MS);
  }

  // After a decision (ops-decide.js) the page shows its outcome at once, not at the next refresh.
  window.spcOpsRefresh = load;

  refresh();
})();
