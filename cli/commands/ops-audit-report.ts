// How the audit commands print: a replay verdict per history, the ledger and period reports.
import path from 'node:path';
import type { LedgerReport, PeriodAuditReport, ReplayOutcome } from '../../audit';
import { printRows } from '../runtime';

/** The core of an SDK replay error: "[TMPRL1100] Nondeterminism error: ..." without the Rust debug wrapping. */
export function replayReason(message: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  return (inner ?? message.split('\n')[0] ?? '').replace(/\\"/g, '"');
}

export function printReplayLine(o: ReplayOutcome): void {
  const verdict = o.verdict === 'ok' ? 'ok' : o.verdict === 'nondeterministic' ? 'NONDETERMINISTIC' : 'FAILED';
  const file = o.origin === 'temporal' ? '' : `  ${path.basename(o.origin)}`;
  process.stdout.write(`${verdict.padEnd(16)}  ${o.type.padEnd(18)}  ${o.workflowId}  ${o.runId}${file}${o.message ? `\n    ${replayReason(o.message)}` : ''}\n`);
}

export function printLedgerReport(report: LedgerReport): void {
  const scope = [report.scope.bank ? `bank ${report.scope.bank}` : 'all banks', report.scope.date ? `business date ${report.scope.date}` : 'all dates'].join(', ');
  process.stdout.write(`ledger audit (${scope})\n`);
  for (const c of report.checks) process.stdout.write(`  ${c.breaches === 0 ? 'ok    ' : 'BREACH'}  ${c.name.padEnd(24)} ${c.breaches === 0 ? '' : `${c.breaches} `}${c.description}\n`);
  for (const b of report.breaches) process.stdout.write(`  ${b.check}: ${b.subject}: ${b.detail}\n`);
  process.stdout.write(report.ok ? 'no breaches\n' : `${report.breaches.length} breach(es)\n`);
}

export function printPeriodReport(report: PeriodAuditReport): void {
  process.stdout.write(`period audit ${report.period}\n`);
  printRows(report.totals.map((t) => ({ ...t })), false);
  for (const b of report.breaches) process.stdout.write(`  BREACH ${b.check}: ${b.subject}: ${b.detail}\n`);
  process.stdout.write(report.ok ? 'no breaches\n' : `${report.breaches.length} breach(es)\n`);
}
