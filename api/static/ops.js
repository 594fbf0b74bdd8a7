// The operator page's script: fetches /ops/api/overview and redraws the tables, then again every
// refreshMs (5 s). Text goes in with textContent only, so nothing from the data is ever parsed as
// HTML. A failed refresh keeps the last data on screen and says so.
'use strict';

(function () {
  const DEFAULT_REFRESH_MS = 5000;
  let refreshMs = DEFAULT_REFRESH_MS;

  const { el, link, num, fill } = window.spcOpsDom;

  function discrepancyText(list) {
    if (!list || list.length === 0) return '';
    return list
      .map((d) => {
        if (d.declared !== undefined) return `${d.kind}${d.registerId ? ` ${d.registerId}` : ''}: declared ${d.declared}, posted ${d.posted}`;
        return `${d.kind}${d.bankRef ? ` ${d.bankRef}` : ''}${d.code ? ` ${d.code}` : ''}${d.message ? `: ${d.message}` : ''}`;
      })
      .join('; ');
  }

  function render(o) {
    refreshMs = o.refreshMs || DEFAULT_REFRESH_MS;
    document.getElementById('today').textContent = `Almaty ${o.today}`;
    document.getElementById('updated').textContent = `updated ${new Date(o.generatedAt).toLocaleTimeString()}`;
    const ui = document.getElementById('temporal-ui');
    if (o.temporalUi) {
      ui.href = o.temporalUi;
      ui.hidden = false;
    }

    fill(
      'bank-days',
      o.bankDays.map((d) => {
        const s = d.settlement;
        return el('tr', { class: d.businessDate === o.today ? 'today' : null, 'data-bank': d.bankCode, 'data-date': d.businessDate }, [
          el('td', { text: d.businessDate }),
          el('td', { title: d.bankName, text: d.bankCode }),
          el('td', { class: `state state-${d.state}`, text: s && s.overdue && d.state !== 'overdue' ? `${d.state} (overdue)` : d.state }),
          num(d.accepted.count),
          num(d.accepted.total),
          num(d.cancelled.count ? `${d.cancelled.count} / ${d.cancelled.total}` : '0'),
          num(d.excluded.count ? `${d.excluded.count} / ${d.excluded.total}` : '0'),
          num(s ? s.netTotal : ''),
          num(s ? `${s.confirmedLines} / ${s.lines}` : ''),
          el('td', { class: 'discrepancy', text: s && s.discrepancies.length ? `${s.status === 'discrepancy' ? 'waiting for a decision: ' : 'decided: '}${discrepancyText(s.discrepancies)}` : '' }),
          el('td', {}, [s ? link(s.ui, 'settlement') : el('span'), s && d.ui ? ' · ' : '', link(d.ui, 'workflows')]),
        ]);
      }),
    );

    const alerts = o.alerts || { unsettledDays: [], settlements: [] };
    document.getElementById('alerts-section').hidden = alerts.unsettledDays.length === 0 && alerts.settlements.length === 0;
    fill(
      'unsettled-days',
      alerts.unsettledDays.map((d) =>
        el('tr', { 'data-bank': d.bankCode, 'data-date': d.businessDate }, [
          el('td', { text: d.businessDate }), el('td', { text: d.bankCode }), num(d.acceptedCount), num(d.acceptedTotal), el('td', {}, [link(d.ui, 'workflows')]),
        ]),
      ),
    );
    fill(
      'settlement-alerts',
      alerts.settlements.map((a) =>
        el('tr', {}, [el('td', { text: a.settlementId }), el('td', { text: a.status }), el('td', { text: a.alert }), el('td', {}, [link(a.ui, 'settlement')])]),
      ),
    );

    document.getElementById('overdue-section').hidden = o.overdue.length === 0;
    fill(
      'overdue',
      o.overdue.map((x) =>
        el('tr', {}, [el('td', { text: x.settlementId }), el('td', { text: x.confirmDueDate || '' }), num(x.netTotal), num(x.unconfirmedLines), el('td', {}, [link(x.ui, 'settlement')])]),
      ),
    );

    const back = o.backOffice || { complaints: [], corrections: [], mailFailures: [] };
    fill(
      'mail-failures',
      (back.mailFailures || []).map((m) =>
        el('tr', { 'data-invoice': m.invoiceId }, [
          el('td', { text: m.period }),
          el('td', { text: m.invoiceId }),
          el('td', { text: m.account }),
          el('td', { text: m.email }),
          el('td', { class: `state state-${m.state}`, text: m.state }),
          el('td', { class: 'num', text: m.smtpCode === null ? '' : String(m.smtpCode) }),
          el('td', { text: m.error || '' }),
          el('td', { text: m.finishedAt ? new Date(m.finishedAt).toLocaleString() : '' }),
        ]),
      ),
    );
    fill(
      'complaints',
      back.complaints.map((c) =>
        el('tr', { class: c.overdue ? 'overdue' : null, 'data-complaint': c.id }, [
          el('td', { text: `${c.bankCode}/${c.bankRef}` }),
          el('td', { text: c.disposition }),
          el('td', { class: `state state-${c.status}`, text: c.overdue && c.status !== 'escalated' ? `${c.status} (late)` : c.status }),
          el('td', { text: c.assignee || '' }),
          el('td', { text: new Date(c.deadlineAt).toLocaleString() }),
          el('td', { text: c.correctionId || '' }),
          el('td', {}, [link(c.ui, 'complaint')]),
        ]),
      ),
    );
    fill(
      'transfer-cases',
      (back.transferCases || []).map((c) =>
        el('tr', { class: c.overdue ? 'overdue' : null, 'data-transfer-case': c.complaintId }, [
          el('td', { text: c.bankCode }),
          el('td', { text: c.providerId }),
          el('td', { text: c.businessDate }),
          num(c.expected === null ? '' : c.expected),
          num(c.received),
          num(c.difference),
          el('td', { class: `state state-${c.status}`, text: c.overdue && c.status !== 'escalated' ? `${c.status} (late)` : c.status }),
          el('td', { text: new Date(c.deadlineAt).toLocaleString() }),
          el('td', {}, [link(c.ui, 'complaint')]),
        ]),
      ),
    );
    // A reason being typed would be lost in a redraw: the table waits until it is sent or cleared.
    if (!window.spcOpsDecide.typingIn(document.getElementById('corrections'))) {
      fill(
        'corrections',
        back.corrections.map((c) =>
          el('tr', { 'data-correction': c.id }, [
            el('td', { text: c.ref }),
            el('td', { text: `${c.bankCode}/${c.bankRef}` }),
            el('td', { text: c.kind }),
            el('td', { class: `state state-${c.status}`, text: c.status === 'proposed' ? 'waiting for a second operator' : `${c.status}${c.mode ? ` (${c.mode})` : ''}` }),
            num(c.amount),
            el('td', { text: c.proposedBy }),
            el('td', { text: c.decidedBy || '' }),
            num(c.pendingAdjustments),
            el('td', {}, [link(c.ui, 'correction')]),
            el('td', { class: 'decide' }, c.status === 'proposed' ? window.spcOpsDecide.forms(`/ops/api/corrections/${encodeURIComponent(c.id)}`, c.ref) : []),
          ]),
        ),
      );
    }

    document.getElementById('rejections-since').textContent = `(since ${o.rejections.since})`;
    fill('rejections-by-code', o.rejections.byCode.map((r) => el('tr', { 'data-code': r.code }, [el('td', { text: r.code }), num(r.today), num(r.count)])));
    fill(
      'rejections-recent',
      o.rejections.recent.map((r) =>
        el('tr', {}, [
          el('td', { text: new Date(r.at).toLocaleString() }),
          el('td', { text: r.bankCode }),
          el('td', { text: r.bankRef }),
          el('td', { text: r.code }),
          el('td', { text: r.message }),
          el('td', {}, [link(r.ui, 'workflow')]),
        ]),
      ),
    );
  }

  function showError(text) {
    const box = document.getElementById('error');
    box.textContent = text || '';
    box.hidden = !text;
  }

  async function load() {
    try {
      const res = await fetch('/ops/api/overview', { credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 401) throw new Error('session ended: reload the page and sign in again');
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      render(await res.json());
      showError('');
    } catch (err) {
      showError(`Refresh failed (${err.message}); showing the last data.`);
    }
  }

  async function refresh() {
    await load();
    setTimeout(refresh, refreshMs);
  }

  // After a decision (ops-decide.js) the page shows its outcome at once, not at the next refresh.
  window.spcOpsRefresh = load;

  refresh();
})();
