// The rules every entrance shares (domain/instant.ts, domain/identifiers.ts, the paidAt rule of
// domain/payment-validation.ts, the request hash): one home each, checked here once.
import { execFile } from 'node:child_process';
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
