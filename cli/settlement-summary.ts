// The human-readable view of a settlement's state, printed by `spc settle --wait` and
// `spc settlement show` (--json prints the state itself).
import type { SettlementState } from '../client/settlements';

function countLines(s: SettlementState): string[] {
  if (!s.dates.aggregatedAt) return ['  payments and totals are counted at aggregation (after the close and the reconciliation)'];
  return [
    `  payments ${s.counts.payments} posted, ${s.counts.reversals} reversed, ${s.counts.accepted} in the list`,
    `  totals   posted ${s.totals.payments}  reversed ${s.totals.reversals}${s.totals.adjustments ? `  adjustments ${s.totals.adjustments}` : ''}  net ${s.totals.net}  confirmed ${s.totals.confirmed} KZT`,
  ];
}

function dateLine(s: SettlementState): string[] {
  const d = s.dates;
  const dates = [
    ['closed', d.closedAt], ['aggregated', d.aggregatedAt], ['delivered', d.deliveredAt], ['overdue', d.overdueAt], ['settled', d.settledAt],
    ['execution date', d.executionDate], ['confirm by', d.confirmDueDate],
  ].filter(([, v]) => v);
  return dates.length ? [`  dates    ${dates.map(([k, v]) => `${k} ${v}`).join(', ')}`] : [];
}

function reconciliationLines(s: SettlementState): string[] {
  const out: string[] = [];
  if (s.register) out.push(`  register ${s.register.registerIds.join(', ')}: declared ${s.register.declaredCount} payments, ${s.register.declaredTotal} KZT`);
  for (const x of s.discrepancies) {
    const what = x.kind === 'register_row_rejected' ? `${x.registerId} row ${x.bankRef}: ${x.code} ${x.message ?? ''}` : x.declared !== undefined ? `declared ${x.declared}, posted ${x.posted} (difference ${x.difference})` : (x.message ?? '');
    out.push(`  discrepancy ${x.kind}: ${what}`);
  }
  if (s.status === 'discrepancy' && !s.resolution) out.push(`  waiting for a decision (${s.reminders} reminder(s)): spc settlement resolve ${s.bankCode} ${s.businessDate} --accept | --exclude <refs...>`);
  if (s.resolution) out.push(`  decision ${s.resolution.decision} by ${s.resolution.operator} at ${s.resolution.at}${s.resolution.excludedRefs.length ? `: ${s.resolution.excludedRefs.join(', ')}` : ''}`);
  return out;
}

function listLines(s: SettlementState): string[] {
  const out: string[] = [];
  if (s.lines.length) {
    out.push('  lines');
    for (const l of s.lines) {
      out.push(`    ${String(l.lineNo).padStart(3)}  ${l.endToEndId.padEnd(20)} ${l.providerId.padEnd(18)} ${l.amount.padStart(16)}  ${String(l.paymentCount).padStart(8)} payments  ${l.confirmedAt ? `confirmed ${l.confirmedAt}${l.transferRef ? ` (${l.transferRef})` : ''}` : 'unconfirmed'}${l.adjustment ? `  adjusted ${l.adjustment.amount} by ${l.adjustment.refs.join(', ')}` : ''}`);
    }
  }
  for (const f of s.files) out.push(`  file     ${f.format.padEnd(8)} ${String(f.bytes).padStart(9)} bytes  sha256 ${f.sha256}`);
  if (s.webhook.status !== 'unknown') out.push(`  webhook  ${s.webhook.status}${s.webhook.url ? ` ${s.webhook.url}` : ''}${s.webhook.attempts ? ` after ${s.webhook.attempts} attempt(s)` : ''}`);
  return out;
}

export function printSettlementSummary(s: SettlementState, link?: string): void {
  const out = [
    `${s.workflowId}  ${s.status}  (started by ${s.startedBy})`,
    ...countLines(s),
    ...dateLine(s),
    ...reconciliationLines(s),
    ...listLines(s),
    '  timeline',
    ...s.timeline.map((t) => `    ${t.at}  ${t.event}${t.detail ? `: ${t.detail}` : ''}`),
  ];
  if (link) out.push(`  ${link}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
