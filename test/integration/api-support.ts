// The setting of the bank API tests: a worker on its own task queue and database (test/support/
// harness.ts), the reference world with a few accounts, two banks with API keys, and the HTTP
// server listening on a free port, called over real HTTP with fetch.
import { randomBytes } from 'node:crypto';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { createApiKey } from '../../db/bank-keys';
import { addDays, isBusinessDay, toAlmaty, type CalendarOverrides } from '../../domain/calendar';
import { loadCalendarOverrides } from '../../db/queries/calendar';
import { startHarness, type Harness } from '../support/harness';
export { waitFor } from '../support/wait';
import { createAccount, createWorld } from '../support/fixtures';

export const ACCOUNTS = {
  /** ELEC 3000.00 due (meter, previous 1500.000), CWATER 1000.00 due (meter, previous 200.000), SEWER 500.00 due. */
  main: '7100000001',
  /** In the SPC database, but no invoice. */
  noInvoice: '7100000002',
  /** An invoice with nothing due and nothing charged (SEWER paid ahead). */
  nothingDue: '7100000003',
  /** Simple accounts for registers: WASTE 1596.00 due. */
  simple: ['7100000010', '7100000011', '7100000012', '7100000013', '7100000014'],
} as const;

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // Parsed JSON when the answer is JSON.
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ApiWorld {
  h: Harness;
  server: RunningApiServer;
  url: string;
  keys: { HSBK: string; CASP: string };
  /** A run-unique prefix: workflow ids are shared by every test file on the dev server. */
  run: string;
  call(method: string, path: string, opts?: { key?: string | null; json?: unknown; body?: string | Buffer; contentType?: string; headers?: Record<string, string> }): Promise<CallResult>;
  close(): Promise<void>;
}

export async function createApiAccounts(h: Harness): Promise<void> {
  const db = h.database.db;
  await createWorld(db);
  await createAccount(db, {
    number: ACCOUNTS.main,
    holderName: 'Сейткали Айгерим Нурлановна',
    address: 'г. Алматы, пр. Абая, д. 10, кв. 5',
    lines: [
      { service: 'ELEC', charged: '3000.00', previousReading: '1500.000' },
      { service: 'CWATER', opening: '100.00', charged: '900.00', previousReading: '200.000' },
      { service: 'SEWER', charged: '500.00' },
    ],
  });
  await db('personal_accounts').insert({ number: ACCOUNTS.noInvoice, holder_name: 'Иванова Мария Петровна', address: 'г. Алматы, ул. Толе би, д. 3, кв. 1' });
  await createAccount(db, { number: ACCOUNTS.nothingDue, lines: [{ service: 'SEWER', opening: '-50.00', charged: '0.00' }] });
  for (const number of ACCOUNTS.simple) await createAccount(db, { number, lines: [{ service: 'WASTE', charged: '1596.00' }] });
}

export async function startApiWorld(prefix: string): Promise<ApiWorld> {
  const h = await startHarness(prefix);
  try {
    await createApiAccounts(h);
    const keys = { HSBK: (await createApiKey(h.database.db, 'HSBK', 'test')).key, CASP: (await createApiKey(h.database.db, 'CASP', 'test')).key };
    // The API connects as its own role, spc_api, as in production (db/app-role.ts).
    const server = await startApiServer({ db: h.database.apiDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port: 0, logger: false });
    const call: ApiWorld['call'] = async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const key = opts.key === undefined ? keys.HSBK : opts.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | Buffer | undefined = opts.body;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['content-type'] = 'application/json';
      }
      if (opts.contentType) headers['content-type'] = opts.contentType;
      const res = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = undefined;
      if ((res.headers.get('content-type') ?? '').includes('application/json')) parsed = JSON.parse(text);
      return { status: res.status, headers: res.headers, text, body: parsed };
    };
    return {
      h,
      server,
      url: server.url,
      keys,
      run: randomBytes(4).toString('hex'),
      call,
      close: async () => {
        await server.close();
        await h.close();
      },
    };
  } catch (err) {
    await h.close();
    throw err;
  }
}

/** The calendar's overrides, as the workers read them. */
export const loadCalendar = loadCalendarOverrides;

/**
 * Which of the last five business days each test file settles or posts into. Settlement workflow
 * ids (`settlement:<BANK>:<day>`) are shared by every test file on the one dev server, so two files
 * settling the same bank's same day would find each other's workflow: each file has its own day.
 */
export const RECENT_DAY_SLOTS = { apiContract: 0, registerWorkflow: 1, apiDay: 2, complaints: 3, registerReconcile: 4 } as const;
const RECENT_DAYS = 5;

/** A business day within the last five, before today in Almaty (its cut-off has passed). */
export function recentBusinessDay(calendar: CalendarOverrides, slot: keyof typeof RECENT_DAY_SLOTS | number): string {
  const pick = typeof slot === 'number' ? slot : RECENT_DAY_SLOTS[slot];
  const days: string[] = [];
  for (let d = addDays(toAlmaty(new Date()).date, -1); days.length < RECENT_DAYS; d = addDays(d, -1)) if (isBusinessDay(d, calendar)) days.push(d);
  return days[pick % days.length] as string;
}


/** Builds a register file (docs/registers.md) from rows; the header's count and total are computed unless given. */
export function registerCsv(
  businessDate: string,
  rows: Array<{ ref: string; account: string; amount: string; lines?: string; readings?: string; paidAt?: string; pile?: string }>,
  declared: { count?: number; total?: string } = {},
): string {
  const tiyn = rows.reduce((t, r) => t + BigInt(r.amount.replace('.', '')), 0n);
  const total = declared.total ?? `${tiyn / 100n}.${String(tiyn % 100n).padStart(2, '0')}`;
  const lines = [
    `#register;business_date=${businessDate};count=${declared.count ?? rows.length};total=${total}`,
    'bank_ref;account;amount;lines;readings;paid_at;pile_no',
    ...rows.map((r) => [r.ref, r.account, r.amount, r.lines ?? '', r.readings ?? '', r.paidAt ?? '', r.pile ?? ''].join(';')),
  ];
  return `${lines.join('\n')}\n`;
}
