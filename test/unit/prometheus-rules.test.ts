// The operators' alerting rules (infra/prometheus/alerts.yml) under Debian's promtool: the rules and
// the example scrape config are valid, the rules' unit tests (alerts.test.yml: input series ->
// alerts) pass, and every series a rule reads is one the SPC registers or the Temporal SDK exports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metrics, TEMPORAL_SDK_DASHBOARD_METRICS } from '../../infra/metrics';
import '../../infra/read-model-gauges';
import { itWithBinary, PROMETHEUS_DIR, promtool } from '../support/prometheus';

const itPromtool = itWithBinary('promtool');
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;
/** The SDK's failure counters the rules read: they appear on /metrics only after a first failure. */
const TEMPORAL_SDK_ALERT_METRICS = ['temporal_workflow_task_execution_failed', 'temporal_activity_execution_failed', 'temporal_workflow_failed', 'temporal_request_failure'];

/** The Temporal SDK's native library of this platform: its metric names are strings in it. */
function coreBridgeBinary(): Buffer {
  const releases = path.join(path.dirname(require.resolve('@temporalio/core-bridge/package.json')), 'releases');
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const triple = process.platform === 'darwin' ? `${arch}-apple-darwin` : `${arch}-unknown-linux-gnu`;
  return fs.readFileSync(path.join(releases, triple, 'index.node'));
}

describe('the alerting rules', () => {
  itPromtool('pass promtool check rules, and the example scrape config passes promtool check config', () => {
    const rules = promtool(['check', 'rules', 'alerts.yml']);
    expect(rules).toEqual({ status: 0, output: expect.stringMatching(/SUCCESS: \d+ rules found/) });
    const config = promtool(['check', 'config', 'prometheus.yml']);
    expect(config.status).toBe(0);
  });

  itPromtool('fire (and stay silent) as alerts.test.yml expects, under promtool test rules', () => {
    const result = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  itPromtool('fail promtool test rules when an expectation is wrong (the test can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-rules-'));
    try {
      fs.copyFileSync(path.join(PROMETHEUS_DIR, 'alerts.yml'), path.join(dir, 'alerts.yml'));
      const wrong = fs.readFileSync(path.join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8').replace("'33.33% of API answers are 503'", "'1% of API answers are 503'");
      fs.writeFileSync(path.join(dir, 'alerts.test.yml'), wrong);
      const result = promtool(['test', 'rules', 'alerts.test.yml'], { cwd: dir });
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('SpcApiUnavailable');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('read only series that exist: the SPC\'s registered metrics and the Temporal SDK\'s', () => {
    const text = fs.readFileSync(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
    const exprs = [...text.matchAll(/expr: (\|\n(?:\s{10,}.*\n)+|.*)/g)].map((m) => m[1] as string);
    const read = [...new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:spc|temporal)_[a-z0-9_]+)\b/g)].map((m) => m[1] as string)))];
    const spc = new Set(metrics.names());
    expect(read.filter((n) => n.startsWith('spc_') && !spc.has(n) && !spc.has(n.replace(HISTOGRAM_SUFFIX, '')))).toEqual([]);
    const sdk = read.filter((n) => n.startsWith('temporal_'));
    expect(sdk.filter((n) => !(TEMPORAL_SDK_DASHBOARD_METRICS as readonly string[]).includes(n) && !TEMPORAL_SDK_ALERT_METRICS.includes(n))).toEqual([]);
    // The SDK registers its names without the prefix (the Runtime's exporter adds temporal_).
    const bridge = coreBridgeBinary();
    expect(TEMPORAL_SDK_ALERT_METRICS.filter((n) => !bridge.includes(n.replace(/^temporal_/, '')))).toEqual([]);
    // What the customer asked for is there: stuck settlements, unsettled days, 503s, failing workflows.
    for (const name of ['spc_settlements_overdue', 'spc_bank_days_unsettled', 'spc_http_requests_total', 'temporal_workflow_task_execution_failed']) expect(read).toContain(name);
  });
});
