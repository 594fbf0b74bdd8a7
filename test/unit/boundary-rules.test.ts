// The rules every entrance shares (domain/instant.ts, domain/identifiers.ts, the paidAt rule of
// domain/payment-validation.ts, the request hash): one home each, checked here once.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { canonicalInstant, isRealDate, parseIsoInstant } from '../../domain/instant';
import { isBankCode, parseSettlementId, settlementIdOf } from '../../domain/identifiers';
import { PAID_AT_PAST_DAYS_MAX, PaymentRejection, validatePaymentRequest } from '../../domain/payment-validation';
import { REJECTION_CODES, settlementWorkflowId, type PaymentRequest } from '../../domain/payment-types';
import { requestHash } from '../../domain/request-hash';
import { truncateForMessage, ECHOED_VALUE_CHARS_MAX } from '../../domain/echo';

const RECEIVED_AT = new Date('2026-11-27T10:00:00+05:00');
const base: PaymentRequest = { bankCode: 'HSBK', bankRef: 'r-1', channel: 'cash_desk', account: '1000000001', amount: '1000.00' };

function rejectionOf(req: PaymentRequest): { code: string; message: string } | null {
  try {
    validatePaymentRequest(req, RECEIVED_AT);
    return null;
  } catch (err) {
    if (err instanceof PaymentRejection) return { code: err.code, message: err.message };
    throw err;
  }
}

describe('calendar dates', () => {
  it('accepts real dates and refuses impossible ones', () => {
    expect(['2026-02-28', '2028-02-29', '2026-12-31'].map(isRealDate)).toEqual([true, true, true]);
    expect(['2026-02-29', '2026-02-31', '2026-13-45', '2026-00-10', '0001-01-01', '2026-1-01', '', 20261127].map(isRealDate)).toEqual(Array(8).fill(false));
  });
});

describe('instants', () => {
  it('reads an instant with a zone as the moment it names', () => {
    expect(parseIsoInstant('2026-11-27T10:15:00+05:00')?.toISOString()).toBe('2026-11-27T05:15:00.000Z');
    expect(parseIsoInstant('2026-11-27T10:15:00+0500')?.toISOString()).toBe('2026-11-27T05:15:00.000Z');
    expect(canonicalInstant('2026-11-27T05:15Z')).toBe(canonicalInstant('2026-11-27T10:15:00.000+05:00'));
  });

  it('refuses an instant without a zone, on an impossible date, or in year 0001', () => {
    for (const bad of ['2026-11-27T10:00:00', '2026-02-31T10:00:00+05:00', '0001-01-01T00:00:00Z', '2026-11-27T24:00Z', 'yesterday', 42]) expect(parseIsoInstant(bad)).toBeNull();
  });
});

describe('business identifiers', () => {
  it('builds and reads settlement ids in one place', () => {
    expect(settlementIdOf('HSBK', '2026-11-27')).toBe('HSBK:2026-11-27');
    expect(settlementWorkflowId('HSBK', '2026-11-27')).toBe('settlement:HSBK:2026-11-27');
    expect(parseSettlementId('HSBK-2026-11-27')).toEqual({ bankCode: 'HSBK', businessDate: '2026-11-27', id: 'HSBK:2026-11-27' });
    expect([parseSettlementId('HSBK:2026-13-45'), parseSettlementId('hsbk:2026-11-27'), parseSettlementId('HSBK:2026-11-27x')]).toEqual([null, null, null]);
    expect([isBankCode('HSBK'), isBankCode('HSB'), isBankCode('hsbk'), isBankCode(undefined)]).toEqual([true, false, false, false]);
  });
});

describe('paidAt of a payment', () => {
  it('refuses 2026-02-31, which Date.parse would read as 3 March', () => {
    expect(rejectionOf({ ...base, paidAt: '2026-02-31T10:00:00+05:00' })?.code).toBe('INVALID_REQUEST');
  });

  it('refuses year 0001 cleanly and a time without a zone', () => {
    expect(rejectionOf({ ...base, paidAt: '0001-01-01T00:00:00Z' })?.code).toBe('INVALID_REQUEST');
    expect(rejectionOf({ ...base, paidAt: '2026-11-27T09:00:00' })?.code).toBe('INVALID_REQUEST');
  });

  it(`refuses a paidAt more than ${PAID_AT_PAST_DAYS_MAX} days before receipt with PAID_AT_TOO_OLD`, () => {
    expect(rejectionOf({ ...base, paidAt: '2001-01-01T00:00:00+05:00' })).toEqual({ code: 'PAID_AT_TOO_OLD', message: expect.stringContaining(`more than ${PAID_AT_PAST_DAYS_MAX} days`) });
    expect(rejectionOf({ ...base, paidAt: '2026-11-13T10:00:00+05:00' })?.code).toBe('PAID_AT_TOO_OLD');
    expect(REJECTION_CODES.PAID_AT_TOO_OLD).toMatch(/clock/);
  });

  it('accepts a recent past paidAt (its day may be closed: posting moves it to the first open day)', () => {
    expect(rejectionOf({ ...base, paidAt: '2026-11-20T10:00:00+05:00' })).toBeNull();
  });

  it('leaves the age of a register row to the register entrance, which bounds the upload', () => {
    expect(rejectionOf({ ...base, channel: 'register', paidAt: '2026-11-01T10:00:00+05:00' })).toBeNull();
    expect(rejectionOf({ ...base, channel: 'register', paidAt: '2026-02-31T10:00:00+05:00' })?.code).toBe('INVALID_REQUEST');
  });
});

describe('the request hash', () => {
  it('is the same for a zero line and for readings written with trailing zeros', () => {
    const plain: PaymentRequest = { ...base, lines: [{ service: 'ELEC', amount: '1000.00' }], readings: [{ service: 'ELEC', value: '12345.6' }] };
    const written: PaymentRequest = {
      ...base,
      lines: [{ service: 'WASTE', amount: '0' }, { service: 'ELEC', amount: '1000' }],
      readings: [{ service: 'ELEC', value: '12345.60' }],
    };
    expect(requestHash(written)).toBe(requestHash(plain));
    expect(requestHash({ ...plain, readings: [{ service: 'ELEC', value: '12345.61' }] })).not.toBe(requestHash(plain));
  });

  it('is the same for one instant written in two zones, and differs for two malformed texts', () => {
    expect(requestHash({ ...base, paidAt: '2026-11-27T10:15:00+05:00' })).toBe(requestHash({ ...base, paidAt: '2026-11-27T05:15:00Z' }));
    expect(requestHash({ ...base, paidAt: 'garbage-1' })).not.toBe(requestHash({ ...base, paidAt: 'garbage-2' }));
  });
});

describe('echoed input', () => {
  it('cuts a huge value in a message and says how long it was', () => {
    const echoed = truncateForMessage('x'.repeat(1 << 20));
    expect(echoed.length).toBeLessThan(ECHOED_VALUE_CHARS_MAX + 40);
    expect(echoed).toContain('(1048576 characters)');
  });
});

describe('spc pay --paid-at', () => {
  const run = promisify(execFile);
  const spc = path.join(__dirname, '..', '..', 'bin', 'spc.js');
  it.each([['without a zone', '2026-11-27T10:00'], ['on an impossible date', '2026-02-31T10:00:00+05:00'], ['malformed', 'tomorrow']])(
    'refuses a time %s with one line and exit code 1, before connecting anywhere',
    async (_what, paidAt) => {
      const err = await run('node', [spc, 'pay', '--bank', 'HSBK', '--ref', 'cli-1', '--account', '1000000001', '--amount', '1.00', '--paid-at', paidAt], {
        env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', DATABASE_URL: 'postgres://127.0.0.1:1/none' },
      }).then(() => null, (e: { code: number; stderr: string }) => e);
      expect(err?.code).toBe(1);
      expect(err?.stderr).toMatch(/^spc: --paid-at must be an ISO-8601 instant with a zone/);
      expect(err?.stderr).not.toMatch(/\n\s+at /);
    },
    30_000,
  );
});

// ---------------------------------------------------------------------------------------------
// Where code may stand (issue 17): entrances (api/, cli/) and client/ never name a table, the
// bank-code pattern lives in domain/ only, and no import runs in a circle.

const ROOT = path.resolve(__dirname, '../..');
const SOURCE_DIRS = ['activities', 'api', 'audit', 'bench', 'cli', 'client', 'db', 'domain', 'infra', 'worker', 'workflows'];

function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** A query builder called on a table name (`db('payments')`, `trx<Row>('banks')`), raw SQL, or `.from('…')`. */
const TABLE_ACCESS_RE = /\b(?:db|trx|knex|tx)\s*(?:<[^>()]*>)?\(\s*['"`][a-z_]+(?:\s+as\s+\w+)?['"`]|\.raw\(|\.from\(\s*['"`][a-z_]/;

describe('where code may stand', () => {
  const entrances = ['api', 'cli', 'client'].flatMap(sourceFiles);

  // Every entrance moved its SQL to db/ (issue 17 item 1): there is no allow-list to grow.
  it('entrances and client/ name no table and send no raw SQL (SQL lives in db/)', () => {
    const offenders = entrances.filter((f) => TABLE_ACCESS_RE.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the SQL rule sees a table named in an entrance (it can fail)', () => {
    expect(TABLE_ACCESS_RE.test("await db('payments').where({ bank_code })")).toBe(true);
    expect(TABLE_ACCESS_RE.test('await countAccounts(db)')).toBe(false);
  });

  it('spells the bank-code pattern only in domain/ (and the schema that checks it)', () => {
    const offenders = SOURCE_DIRS.filter((d) => d !== 'domain').flatMap(sourceFiles)
      .filter((f) => !f.startsWith('db/migrations/'))
      .filter((f) => /\/\^\[A-Z\]\{4\}\$\//.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('keeps migrations apart from the application: they import knex and each other only', () => {
    const offenders = sourceFiles('db/migrations').flatMap((f) => {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      return [...text.matchAll(/^\s*import\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string)
        .filter((target) => target !== 'knex' && !target.startsWith('./'))
        .map((target) => `${f} imports ${target}`);
    });
    expect(offenders).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(SOURCE_DIRS.flatMap(sourceFiles))).toEqual([]);
  });
});

const IMPORT_RE = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The relative imports of each file that are values (type-only imports cannot make a run-time circle). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(IMPORT_RE)) {
      if (/^\s*(?:import|export)\s+type\s/.test(m[0])) continue;
      const base = path.normalize(path.join(path.dirname(file), m[1] as string));
      const hit = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => known.has(c));
      if (hit) targets.push(hit);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), each sorted: the import circles. */
function importCycles(files: string[]): string[][] {
  const graph = importGraph(files);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
