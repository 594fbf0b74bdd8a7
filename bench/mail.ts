// `npm run bench:mail -- --invoices N`: a period's mail delivery through the real stack: N demo
// invoices, each with one confirmed address, mailed with its PDF by the production worker (`spc
// worker`, WORKERS processes) over SMTP to the local relay of `spc up` (infra/mail-server.ts,
// which stores each message as an .eml file). When a third of the mails has arrived, one worker is
// SIGKILLed mid-batch; the other takes the batch over after its heartbeat times out. Duplicates
// are counted on the receiving side: messages whose Message-ID (fixed per invoice and address)
// arrived more than once. Last line is JSON: {"mails","seconds","mails_per_s","duplicates",…}.
// The seeding is not timed.
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startMailDelivery } from '../client/mail-deliveries';
import { seedDemo, seedReferenceData } from '../db/seed';
import { currentPeriod } from '../db/seed/demo';
import { connectTemporal } from '../infra/temporal-connection';
import { startLocalMailServer } from '../infra/mail-server';
import { benchEnvironment, log, round, sleep } from './env';
import { startWorkerProcess, type Endpoints, type SpcProcess } from './processes';

const WORKERS = 2;
/** The kill comes when this share of the mails has arrived. */
const KILL_AT_SHARE = 1 / 3;
const POLL_MS = 200;
/** The pacing is not what this bench measures: the configuration's maximum, far above the figure sought. */
const BENCH_MAIL_RATE_PER_S = '5000';
/** A Message-ID is in the first lines of the header nodemailer writes. */
const HEADER_BYTES_MAX = 8 * 1024;

export interface MailBenchResult {
  mails: number;
  seconds: number;
  mails_per_s: number;
  duplicates: number;
  /** Mails in flight when the worker died: recorded uncertain and never sent again (at most once). */
  uncertain: number;
  killed_after_mails: number;
  load_1m: number;
}

/** One confirmed, subscribed address per account with an invoice of the period. */
async function subscribeAll(db: import('knex').Knex, period: string): Promise<number> {
  const { rowCount } = await db.raw(`
    INSERT INTO mail_subscriptions (account_number, email, confirm_token_sha256, confirm_expires_at, unsubscribe_token, confirmed_at)
    SELECT i.account_number, 'h' || i.account_number || '@bench.local', encode(sha256(convert_to('c' || i.account_number || ?::text, 'UTF8')), 'hex'),
           now() + interval '7 days', 'u' || i.account_number || ?::text, now()
      FROM invoices i WHERE i.period = ?::date`, [randomBytes(4).toString('hex'), randomBytes(4).toString('hex'), `${period}-01`]) as { rowCount: number };
  return rowCount;
}

function messageIdOf(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(HEADER_BYTES_MAX);
    const n = fs.readSync(fd, head, 0, HEADER_BYTES_MAX, 0);
    const m = /^message-id:\s*(<[^>]+>)/im.exec(head.subarray(0, n).toString('latin1'));
    // A message without one still counts, by its content, so nothing is left out of the count.
    return m?.[1] ?? createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** Messages received more than once, by Message-ID, read back from the relay's files. */
function countDuplicates(dir: string): { received: number; duplicates: number } {
  const seen = new Set<string>();
  let received = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.eml')) continue;
    received++;
    seen.add(messageIdOf(path.join(dir, name)));
  }
  return { received, duplicates: received - seen.size };
}

const emlCount = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).length;

export async function runMailBench(opts: { invoices: number }): Promise<MailBenchResult> {
  const env = await benchEnvironment();
  const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-bench-mail-'));
  const relay = await startLocalMailServer(mailDir);
  const { connection, client } = await connectTemporal(env.temporal);
  const workers: SpcProcess[] = [];
  try {
    const period = currentPeriod().slice(0, 7);
    log(`seeding ${opts.invoices} demo accounts with an invoice of ${period} and a confirmed address each`);
    await seedReferenceData(env.db);
    await seedDemo(env.db, { accounts: opts.invoices, period });
    const subscribed = await subscribeAll(env.db, period);
    const endpoints: Endpoints = { databaseUrl: env.databaseUrl, temporalAddress: env.temporalAddress, taskQueue: `bench-mail-${Date.now().toString(36)}`, temporalEnv: env.temporalEnv };
    const workerEnv = { SPC_SMTP_URL: relay.url, SPC_MAIL_RATE_PER_S: BENCH_MAIL_RATE_PER_S, SPC_PRINT_DIR: path.join(mailDir, 'print') };
    log(`starting ${WORKERS} worker processes; relay ${relay.url}`);
    workers.push(...(await Promise.all(Array.from({ length: WORKERS }, () => startWorkerProcess(endpoints, workerEnv)))));
    const started = performance.now();
    const run = await startMailDelivery({ client, taskQueue: endpoints.taskQueue }, period);
    const done = run.result();
    let killedAfter = 0;
    let finished = false;
    void done.finally(() => { finished = true; }).catch(() => undefined);
    while (!finished) {
      const n = emlCount(mailDir);
      if (!killedAfter && n >= subscribed * KILL_AT_SHARE) {
        // Whichever worker runs the batch now: kill the one that has the delivery's activity, by its pid.
        const busy = await busyWorker(client, run.workflowId, workers);
        if (busy) {
          log(`${n} mails arrived: SIGKILL worker pid ${busy.pid}`);
          await busy.kill();
          killedAfter = n;
        }
      }
      await sleep(POLL_MS);
    }
    const summary = await done;
    const seconds = (performance.now() - started) / 1000;
    const { received, duplicates } = countDuplicates(mailDir);
    log(`delivery ${JSON.stringify(summary.byState)}; ${received} messages received in ${seconds.toFixed(1)} s`);
    return {
      mails: received, seconds: round(seconds, 3), mails_per_s: round(received / seconds), duplicates,
      uncertain: Number(summary.byState.uncertain ?? 0), killed_after_mails: killedAfter, load_1m: round(os.loadavg()[0] ?? 0, 2),
    };
  } finally {
    for (const w of workers) await w.stop().catch(() => undefined);
    await connection.close();
    await relay.stop();
    await env.close();
    fs.rmSync(mailDir, { recursive: true, force: true });
  }
}

/** The worker running the delivery's batch now: Temporal names it (`<pid>@<host>`, the SDK's default identity). */
async function busyWorker(client: Client, workflowId: string, workers: SpcProcess[]): Promise<SpcProcess | undefined> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  for (const activity of raw.pendingActivities ?? []) {
    const pid = Number(/^(\d+)@/.exec(activity.lastWorkerIdentity ?? '')?.[1]);
    const worker = workers.find((w) => w.pid === pid);
    if (worker) return worker;
  }
  return undefined;
}
