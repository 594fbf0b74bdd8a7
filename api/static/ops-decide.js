// Approve and reject on the operator pages (ops.js, ops-periods.js): each form posts its fields
// urlencoded, with the session's CSRF token as a hidden field, to /ops/api/.../approve|reject, and
// the answer (or the refusal's code and message) is shown in #decision-result. Who decides is the
// session's operator on the server, never a field of the form; the server also holds the roles, so
// the buttons below are shown by role only to spare a person a refusal.
'use strict';

window.spcOpsDecide = (function () {
  const { el } = window.spcOpsDom;
  const REASON_CHARS_MAX = 500;
  const APPROVING_ROLES = ['supervisor', 'admin'];
  const ACTING_ROLES = ['operator', 'supervisor', 'admin'];

  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
  const role = () => meta('spc-role');

  function show(text, ok) {
    const box = document.getElementById('decision-result');
    box.textContent = text;
    box.className = ok ? 'ok' : 'error';
    box.hidden = false;
  }

  async function submit(form) {
    const res = await fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(new FormData(form)),
    });
    const answer = await res.json().catch(() => ({}));
    const what = form.getAttribute('data-label');
    if (res.ok) {
      show(`${form.getAttribute('data-decision') === 'approve' ? 'Approved' : 'Rejected'} ${what}: now ${answer.status}.`, true);
      form.reset();
    } else {
      show(`Refused (${what}): ${answer.code || res.status}: ${answer.message || 'no message'}`, false);
    }
    if (typeof window.spcOpsRefresh === 'function') window.spcOpsRefresh();
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-decision')) return;
    event.preventDefault();
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    submit(form)
      .catch((err) => show(`The decision did not reach the SPC (${err.message}): look at it again before you retry.`, false))
      .finally(() => {
        for (const b of form.querySelectorAll('button')) b.disabled = false;
      });
  });

  const csrfField = () => el('input', { type: 'hidden', name: 'csrf', value: meta('spc-csrf') });

  /** The approve and reject forms for the proposal at `base` (/ops/api/corrections/<id>), as the role allows. */
  function forms(base, label) {
    const out = [];
    if (APPROVING_ROLES.includes(role())) {
      out.push(el('form', { method: 'post', action: `${base}/approve`, class: 'decision', 'data-decision': 'approve', 'data-label': label }, [
        csrfField(), el('button', { type: 'submit', class: 'approve', text: 'Approve' }),
      ]));
    }
    if (ACTING_ROLES.includes(role())) {
      out.push(el('form', { method: 'post', action: `${base}/reject`, class: 'decision', 'data-decision': 'reject', 'data-label': label }, [
        csrfField(),
        el('input', { name: 'reason', required: 'required', maxlength: String(REASON_CHARS_MAX), placeholder: 'reason (required)', 'aria-label': `why reject ${label}` }),
        el('button', { type: 'submit', class: 'reject', text: 'Reject' }),
      ]));
    }
    return out;
  }

  /** Whether a person is typing a reason under `root`: its redraw would lose the text. */
  function typingIn(root) {
    return [...root.querySelectorAll('input[name="reason"]')].some((i) => i.value !== '' || i === document.activeElement);
  }

  return { forms, typingIn, show };
})();
