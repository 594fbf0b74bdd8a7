// Debian's prometheus package in tests (the customer's "real scrape and rule test"): promtool checks
// and unit-tests infra/prometheus/alerts.yml, and a real prometheus scrapes a running SPC. Missing
// binaries skip a test only off CI: under CI=true a missing promtool is a failure, not a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../infra/temporal-server';

export const PROMETHEUS_DIR = path.resolve(__dirname, '../../infra/prometheus');
/** promtool checks a rules file in well under a second; a minute means it hangs. */
const PROMTOOL_TIMEOUT_MS = 60_000;
const OUTPUT_BYTES_MAX = 4 * 1024 * 1024;
/** Prometheus opens its TSDB and API in a second or two; a loaded 2-core machine may take longer. */
const PROMETHEUS_READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** Whether `binary` is on PATH. */
export function hasBinary(binary: string): boolean {
  return spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: PROMTOOL_TIMEOUT_MS }).error === undefined;
}

/** `it`, or `it.skip` when the binary is absent and this is not CI (on CI the test runs, and fails). */
export function itWithBinary(binary: string): jest.It {
  return hasBinary(binary) || process.env.CI === 'true' ? it : it.skip;
}

/** Runs promtool with args (in cwd, default infra/prometheus), stdin optional: exit status and output. */
export function promtool(args: string[], opts: { input?: string; cwd?: string } = {}): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, {
    cwd: opts.cwd ?? PROMETHEUS_DIR, input: opts.input, encoding: 'utf8', timeout: PROMTOOL_TIMEOUT_MS, maxBuffer: OUTPUT_BYTES_MAX,
  });
  if (result.error) throw new Error(`promtool ${args.join(' ')}: ${result.error.message} (apt-get install -y prometheus)`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

export interface RunningPrometheus {
  url: string;
  /** GET <url>/api/v1/<apiPath>: the `data` of a success answer. */
  api<T>(apiPath: string): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the real prometheus in a temp dir, scraping `targets` (host:port) under job `spc` every second. */
export async function startPrometheus(targets: string[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spc-prometheus-'));
  const port = await freePort();
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${JSON.stringify(path.join(PROMETHEUS_DIR, 'alerts.yml'))}]`,
    'scrape_configs:',
    '  - job_name: spc',
    `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  let output = '';
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-OUTPUT_BYTES_MAX); });
  child.stderr?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-OUTPUT_BYTES_MAX); });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + PROMETHEUS_READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${output.slice(-2000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready in ${PROMETHEUS_READY_TIMEOUT_MS} ms: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    output: () => output,
    stop,
    async api<T>(apiPath: string): Promise<T> {
      const res = await fetch(`${url}/api/v1/${apiPath}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`prometheus ${apiPath}: ${body.error ?? res.status}`);
      return body.data;
    },
  };
}
