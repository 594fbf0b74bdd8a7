// `npm run bench:cabinet -- --rate 20 --seconds 60`: households signing in to the personal cabinet
// and opening their invoice, open loop (bench/open-loop.ts), on the SPC's own processes (API in its
// own process, the load generator here). One flow is what the page does (api/static/cabinet.js):
// GET /cabinet/api/session (the pre-session cookie and its CSRF token), POST /cabinet/api/sign-in
// with the account, the access code and X-CSRF-Token, then GET /cabinet/api/overview (the invoice
// JSON the page renders). Each flow is another account with its own code.
//
// The cabinet allows CABINET_REQUESTS_PER_IP_PER_MINUTE per client address (api/routes/cabinet.ts)
// and the server takes the socket's address (no proxy header is trusted). Households sign in from
// their own addresses, so each flow here connects from its own loopback source address
// (127.1.x.y: all of 127/8 is loopback on Linux): the limit stays as it is and is measured as it is.
// Last line is JSON: {"rate_per_s","seconds","flows","sign_in_p99_ms","invoice_p99_ms","flow_p99_ms","errors",…}.
import http from 'node:http';
import { rotateAccessCode } from '../db/cabinet';
import { CABINET_REQUESTS_PER_IP_PER_MINUTE } from '../api/routes/cabinet';
import { drive, log } from './env';
import { latencySummary, OPEN_LOOP_REQUEST_TIMEOUT_MS, startOpenLoop, type Sample } from './open-loop';
import { startBenchStack } from './stack';

export const CABINET_BENCH_RATE_PER_S_DEFAULT = 20;
export const CABINET_BENCH_SECONDS_DEFAULT = 60;
/** Flows of one run: one account and one source address each (127.1.0.1 … 127.1.255.250). */
export const CABINET_BENCH_FLOWS_MAX = 256 * 250;
/** Codes are hashed with scrypt on purpose (domain/access-code.ts): a few at once while seeding. */
const CODE_ROTATIONS_IN_FLIGHT = 4;
/** Untimed flows first, two at a time, on accounts of their own: a fresh API process compiles its hot paths. */
export const CABINET_BENCH_WARMUP_FLOWS = 40;
const WARMUP_FLOWS_IN_FLIGHT = 2;
const RESPONSE_BYTES_MAX = 1024 * 1024;

/** The source address of flow i: one a household, never two flows from one. */
export function sourceAddressOf(i: number): string {
  return `127.1.${Math.floor(i / 250) % 256}.${1 + (i % 250)}`;
}

interface Answer {
  status: number;
  code?: string;
  json?: Record<string, unknown>;
  setCookie: string[];
}

/** One request on the flow's own connection (keep-alive, as a browser keeps it between the page's calls). */
function request(agent: http.Agent, url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method, agent, timeout: OPEN_LOOP_REQUEST_TIMEOUT_MS,
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > RESPONSE_BYTES_MAX) res.destroy(new Error('answer too long'));
      });
      res.on('error', reject);
      res.on('end', () => {
        let json: Record<string, unknown> | undefined;
        try { json = JSON.parse(text) as Record<string, unknown>; } catch { json = undefined; }
        const status = res.statusCode ?? 0;
        const code = status >= 200 && status < 300 ? undefined : (typeof json?.code === 'string' ? json.code : undefined);
        resolve({ status, code, json, setCookie: res.headers['set-cookie'] ?? [] });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The cookie jar of one flow: name=value of each Set-Cookie that is not a deletion. */
function cookiesOf(jar: Map<string, string>, setCookie: string[]): void {
  for (const line of setCookie) {
    const [pair] = line.split(';');
    const [name, ...value] = (pair ?? '').split('=');
    if (!name) continue;
    if (/Max-Age=0/i.test(line)) jar.delete(name.trim());
    else jar.set(name.trim(), value.join('='));
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

interface FlowSamples { signIn: Sample[]; invoice: Sample[]; session: Sample[] }

async function timed(into: Sample[], send: () => Promise<Answer>): Promise<Answer> {
  const sentMs = performance.now();
  try {
    const a = await send();
    into.push({ sentMs, latencyMs: performance.now() - sentMs, status: a.status, code: a.code });
    return a;
  } catch (err) {
    into.push({ sentMs, latencyMs: performance.now() - sentMs, status: 0, code: (err as Error).name });
    throw err;
  }
}

/** One household: the page's session call, the sign-in, the invoice. Answers the first failing step's status, else 200. */
async function flow(baseUrl: string, account: string, code: string, i: number, samples: FlowSamples): Promise<{ status: number; code?: string }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: sourceAddressOf(i) } as http.AgentOptions);
  const jar = new Map<string, string>();
  try {
    const session = await timed(samples.session, () => request(agent, `${baseUrl}/cabinet/api/session`, 'GET', {}));
    if (session.status !== 200) return { status: session.status, code: session.code };
    cookiesOf(jar, session.setCookie);
    const csrf = String(session.json?.csrfToken ?? '');
    const signIn = await timed(samples.signIn, () => request(agent, `${baseUrl}/cabinet/api/sign-in`, 'POST', { cookie: cookieHeader(jar), 'x-csrf-token': csrf }, { account, code }));
    if (signIn.status !== 200) return { status: signIn.status, code: signIn.code };
    cookiesOf(jar, signIn.setCookie);
    const overview = await timed(samples.invoice, () => request(agent, `${baseUrl}/cabinet/api/overview`, 'GET', { cookie: cookieHeader(jar) }));
    if (overview.status !== 200) return { status: overview.status, code: overview.code };
    if (overview.json?.account !== account || !overview.json?.invoice) return { status: 0, code: 'WRONG_OVERVIEW' };
    return { status: 200 };
  } finally {
    agent.destroy();
  }
}

export interface CabinetBenchOptions {
  ratePerS: number;
  seconds: number;
}

const p = (v: number) => Number(v.toFixed(1));

export async function runCabinetBench(opts: CabinetBenchOptions): Promise<Record<string, unknown>> {
  const timedFlows = Math.ceil(opts.ratePerS * opts.seconds) + 1;
  const flows = timedFlows + CABINET_BENCH_WARMUP_FLOWS;
  if (flows > CABINET_BENCH_FLOWS_MAX) throw new Error(`--rate × --seconds is ${flows} flows; at most ${CABINET_BENCH_FLOWS_MAX} (one source address each)`);
  // The cabinet needs no workflow: the stack is the database and the API process.
  const stack = await startBenchStack({ accounts: flows, workers: 0, api: true });
  try {
    if (!stack.api) throw new Error('invariant: no API process');
    log(`access codes for ${stack.accounts.length} accounts (scrypt each, as an operator's rotation)`);
    const codes: string[] = [];
    await drive('access codes', stack.accounts.length, CODE_ROTATIONS_IN_FLIGHT, async (i) => {
      codes[i] = await rotateAccessCode(stack.env.db, stack.accounts[i] as string);
    });
    const baseUrl = stack.api.baseUrl;
    const warm: FlowSamples = { signIn: [], invoice: [], session: [] };
    await drive('warm-up flows', CABINET_BENCH_WARMUP_FLOWS, WARMUP_FLOWS_IN_FLIGHT, async (w) => {
      const i = timedFlows + w;
      const r = await flow(baseUrl, stack.accounts[i] as string, codes[i] as string, i, warm);
      if (r.status !== 200) throw new Error(`warm-up flow answered ${r.status} ${r.code ?? ''}`);
    });
    const samples: FlowSamples = { signIn: [], invoice: [], session: [] };
    const cpu = await stack.cpu();
    log(`cabinet open loop: ${opts.ratePerS} flows/s for ${opts.seconds} s, each flow its own account and source address`);
    const loop = startOpenLoop(1000 / opts.ratePerS, (i) => {
      if (i >= timedFlows) return Promise.resolve({ status: 0, code: 'NO_ACCOUNT_LEFT' });
      return flow(baseUrl, stack.accounts[i] as string, codes[i] as string, i, samples);
    });
    await new Promise((resolve) => setTimeout(resolve, opts.seconds * 1000));
    const flowSummary = latencySummary(await loop.stop());
    const signIn = latencySummary(samples.signIn);
    const invoice = latencySummary(samples.invoice);
    const session = latencySummary(samples.session);
    log(`flows: ${flowSummary.count}, p50 ${flowSummary.p50Ms} ms, p99 ${flowSummary.p99Ms} ms, answers ${JSON.stringify(flowSummary.byStatus)}`);
    log(`session p99 ${session.p99Ms} ms, sign-in p50 ${signIn.p50Ms} / p99 ${signIn.p99Ms} ms, invoice p50 ${invoice.p50Ms} / p99 ${invoice.p99Ms} ms`);
    const errorsByStatus: Record<string, number> = {};
    for (const [k, v] of Object.entries(flowSummary.byStatus)) if (k !== '200') errorsByStatus[k] = v;
    return {
      rate_per_s: opts.ratePerS, seconds: opts.seconds, flows: flowSummary.count,
      sign_in_p99_ms: signIn.p99Ms, invoice_p99_ms: invoice.p99Ms, flow_p99_ms: flowSummary.p99Ms, errors: flowSummary.errors,
      sign_in_p50_ms: signIn.p50Ms, invoice_p50_ms: invoice.p50Ms, flow_p50_ms: flowSummary.p50Ms, session_p50_ms: session.p50Ms, session_p99_ms: session.p99Ms,
      errors_by_status: errorsByStatus,
      rate_limit: `${CABINET_REQUESTS_PER_IP_PER_MINUTE}/min per address as configured; one source address per flow`,
      ...Object.fromEntries(Object.entries(await cpu()).map(([k, v]) => [k, typeof v === 'number' ? p(v) : v])),
    };
  } finally {
    await stack.close();
  }
}
