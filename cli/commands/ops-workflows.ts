// `spc workflows list`: the SPC's workflows through Temporal visibility, then the warning of
// bank-days with money posted but never listed.
import type { Command } from 'commander';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { buildVisibilityQuery, EXECUTION_STATUSES, WORKFLOW_KINDS } from '../../audit';
import { toAlmaty } from '../../domain/calendar';
import { BANK_CODE, BUSINESS_DATE, PAYMENT_STATUS, SETTLEMENT_STATUS } from '../../domain/search-attributes';
import { findUnsettledBankDays } from '../../db/queries/unsettled';
import { printRows, type Runtime } from '../runtime';
import { executionStatusOption, kindOption, positiveInt } from './ops-options';

/** Rows `workflows list` prints unless --limit says otherwise; visibility pages through the rest. */
export const WORKFLOWS_LIST_DEFAULT_LIMIT = 50;
export const WORKFLOWS_LIST_LIMIT_MAX = 10_000;

/** Link to the Temporal Web UI's workflow list filtered by the same query, when the UI is known. */
export function uiListUrl(rt: Runtime, query: string): string | undefined {
  const ui = rt.endpoints().uiUrl;
  if (!ui) return undefined;
  return `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(rt.config.temporal.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

export interface WorkflowRow {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  bank: string | null;
  businessDate: string | null;
  businessStatus: string | null;
  started: string;
  closed: string | null;
  ui?: string;
}

export function workflowRow(w: WorkflowExecutionInfo, ui?: (id: string, run: string) => string | undefined): WorkflowRow {
  const sa = w.typedSearchAttributes;
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    type: w.type,
    status: w.status.name,
    bank: sa.get(BANK_CODE) ?? null,
    businessDate: sa.get(BUSINESS_DATE) ?? null,
    businessStatus: sa.get(PAYMENT_STATUS) ?? sa.get(SETTLEMENT_STATUS) ?? null,
    started: w.startTime.toISOString(),
    closed: w.closeTime?.toISOString() ?? null,
    ui: ui?.(w.workflowId, w.runId),
  };
}

export function registerWorkflowCommands(program: Command, rt: Runtime): void {
  const workflows = program.command('workflows').description('find the SPC\'s workflows through Temporal visibility (the same filters work in the Temporal Web UI)');
  workflows
    .command('list')
    .description('list payment, settlement and register workflows; prints the visibility query it used')
    .option('--type <type>', `workflow kind: ${WORKFLOW_KINDS.join(' | ')}`)
    .option('--bank <code>', 'bank code (BankCode), e.g. HSBK')
    .option('--date <yyyy-mm-dd>', 'business date (BusinessDate)')
    .option('--from <yyyy-mm-dd>', 'business dates from (inclusive)')
    .option('--to <yyyy-mm-dd>', 'business dates to (inclusive)')
    .option('--status <status>', 'business status: PaymentStatus (accepted, rejected; cancelled and closed only on payments from before complete-on-post) or SettlementStatus')
    .option('--execution-status <status>', `Temporal status: ${EXECUTION_STATUSES.join(', ')}`)
    .option('--limit <n>', 'most rows to print', String(WORKFLOWS_LIST_DEFAULT_LIMIT))
    .option('--json', 'print JSON: {query, workflows}')
    .action(async (opts: { type?: string; bank?: string; date?: string; from?: string; to?: string; status?: string; executionStatus?: string; limit: string; json?: boolean }) => {
      const limit = positiveInt(opts.limit, '--limit', WORKFLOWS_LIST_LIMIT_MAX);
      const query = buildVisibilityQuery({
        type: kindOption(opts.type), bank: opts.bank, date: opts.date, from: opts.from, to: opts.to, status: opts.status,
        executionStatus: executionStatusOption(opts.executionStatus),
      });
      const { client } = await rt.temporal();
      const rows: WorkflowRow[] = [];
      for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
        rows.push(workflowRow(w, (id, run) => rt.workflowUrl(id, run)));
        if (rows.length >= limit) break;
      }
      const ui = uiListUrl(rt, query);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ query, ui: ui ?? null, workflows: rows }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`query: ${query}\n${ui ? `ui:    ${ui}\n` : ''}\n`);
      printRows(rows as unknown as Array<Record<string, unknown>>, false, ['workflowId', 'type', 'status', 'bank', 'businessDate', 'businessStatus', 'started', 'closed']);
      if (rows.length >= limit) process.stdout.write(`(first ${limit}; --limit shows more)\n`);
      await warnUnsettled(rt);
    });
}

/** Unsettled bank-days named in the warning; `spc settlement unsettled` lists them all. */
const UNSETTLED_SHOWN = 5;

/** The guard of money posted but never listed, where operators look: after every workflow listing. */
async function warnUnsettled(rt: Runtime): Promise<void> {
  const days = await findUnsettledBankDays(await rt.db(), toAlmaty(new Date()).date);
  if (days.length === 0) return;
  const shown = days.slice(0, UNSETTLED_SHOWN).map((d) => `${d.bankCode} ${d.businessDate} (${d.acceptedCount}, ${d.acceptedTotal} KZT)`).join(', ');
  process.stderr.write(`warning: ${days.length} past bank-day(s) hold accepted payments with no settlement: ${shown}${days.length > UNSETTLED_SHOWN ? ', …' : ''}; see spc settlement unsettled\n`);
}
