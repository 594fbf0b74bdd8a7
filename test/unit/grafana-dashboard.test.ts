// The Grafana dashboard operators import (docs/grafana/spc-dashboard.json) must only query metrics
// that exist: every spc_* name is one the code registers, every temporal_* name one the SDK
// exports (TEMPORAL_SDK_DASHBOARD_METRICS, checked against a live worker in an integration test).
import fs from 'node:fs';
import path from 'node:path';
import { metrics, TEMPORAL_SDK_DASHBOARD_METRICS } from '../../infra/metrics';
import '../../infra/read-model-gauges';

const DASHBOARD = path.resolve(__dirname, '../../docs/grafana/spc-dashboard.json');
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr: string }>;
}

function queriesOf(dashboard: { panels: Panel[]; templating: { list: Array<{ query?: unknown }> } }): string[] {
  const panelQueries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const variableQueries = dashboard.templating.list.map((v) => (typeof v.query === 'object' && v.query ? (v.query as { query: string }).query : ''));
  return [...panelQueries, ...variableQueries].filter(Boolean);
}

function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:spc|temporal)_[a-z0-9_]+)\b/g)].map((m) => m[1] as string);
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));

  it('takes its Prometheus datasource as a variable, so it imports into any Grafana', () => {
    expect(dashboard.templating.list).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]));
    for (const panel of dashboard.panels as Panel[]) {
      if (panel.type !== 'row') expect({ title: panel.title, uid: panel.datasource?.uid }).toEqual({ title: panel.title, uid: '${datasource}' });
    }
  });

  it('queries only metrics that the SPC registers or the Temporal SDK exports', () => {
    const known = new Set<string>([...metrics.names(), ...TEMPORAL_SDK_DASHBOARD_METRICS]);
    const queried = [...new Set(queriesOf(dashboard).flatMap(metricNamesIn))];
    const unknown = queried.filter((name) => !known.has(name) && !known.has(name.replace(HISTOGRAM_SUFFIX, '')));
    expect(unknown).toEqual([]);
    // And it shows what the issue asks for: payments, registers, settlement stages, webhooks, overdue, unsettled, SDK latency and slots.
    for (const name of ['spc_payments_total', 'spc_payment_postings_total', 'spc_register_rows_total', 'spc_settlement_stage_duration_seconds_bucket',
      'spc_webhook_failures_total', 'spc_settlements_overdue', 'spc_bank_days_unsettled', ...TEMPORAL_SDK_DASHBOARD_METRICS.slice(0, 1)]) {
      expect(queried.some((q) => q === name || q === `${name}_bucket`)).toBe(true);
    }
  });
});
