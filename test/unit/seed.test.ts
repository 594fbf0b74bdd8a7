import { BANKS, PROVIDERS, SERVICES, kazakhCalendar } from '../../db/seed/reference';
import {
  generateDemoAccounts,
  amountDueTiyn,
  formatTiyn,
  parsePeriod,
  dueDateFor,
  currentPeriod,
  SAMPLE_ACCOUNTS,
  DEMO_TARIFFS_TIYN,
  type DemoAccount,
} from '../../db/seed/demo';
import { createRng, deriveSeed, mulberry32 } from '../../db/seed/random';
import { isValidBin, isValidKzBic, isValidKzIban } from '../../domain/identifiers';
import { progressBar } from '../../cli/progress';
import { parseSeedArgs } from '../../cli/commands/seed';

const PERIOD = '2026-11-01';

function take(count: number, seed: number, period = PERIOD): DemoAccount[] {
  return [...generateDemoAccounts(count, seed, period)];
}

describe('reference data', () => {
  test.each(BANKS.map((b) => [b.code, b] as const))('bank %s has a valid BIN, BIC and settlement IBAN at its own bank code', (_code, bank) => {
    expect(isValidBin(bank.bin)).toBe(true);
    expect(isValidKzBic(bank.bic)).toBe(true);
    expect(bank.bic.slice(0, 4)).toBe(bank.code);
    expect(isValidKzIban(bank.settlementIban)).toBe(true);
    expect(bank.settlementIban.slice(4, 7)).toBe(bank.ibanCode);
    expect(bank.confirmBusinessDays).toBe(3);
  });

  test('the five banks have the real BICs and IBAN bank codes', () => {
    expect(BANKS.map((b) => [b.code, b.bic, b.ibanCode])).toEqual([
      ['HSBK', 'HSBKKZKX', '601'],
      ['CASP', 'CASPKZKA', '722'],
      ['KCJB', 'KCJBKZKX', '856'],
      ['IRTY', 'IRTYKZKA', '996'],
      ['TSES', 'TSESKZKA', '998'],
    ]);
  });

  test.each(PROVIDERS.map((p) => [p.id, p] as const))('provider %s has a valid BIN and IBAN, at the bank its BIC names', (_id, provider) => {
    expect(isValidBin(provider.bin)).toBe(true);
    expect(isValidKzIban(provider.iban)).toBe(true);
    expect(isValidKzBic(provider.bic)).toBe(true);
    const bank = BANKS.find((b) => b.bic === provider.bic);
    expect(bank).toBeDefined();
    expect(provider.iban.slice(4, 7)).toBe(bank?.ibanCode);
    expect(provider.knp).toMatch(/^\d{3}$/);
    expect(provider.kbe).toMatch(/^[12]\d$/);
  });

  test('BINs are unique across banks and providers', () => {
    const bins = [...BANKS.map((b) => b.bin), ...PROVIDERS.map((p) => p.bin)];
    expect(new Set(bins).size).toBe(bins.length);
  });

  test('every service belongs to a known provider, metered services have a unit, and every service has a demo tariff', () => {
    const providerIds = new Set(PROVIDERS.map((p) => p.id));
    for (const s of SERVICES) {
      expect(providerIds.has(s.providerId)).toBe(true);
      if (s.metered) expect(s.unit).not.toBeNull();
      expect(DEMO_TARIFFS_TIYN[s.code]).toBeDefined();
    }
    expect(SERVICES.filter((s) => s.metered).map((s) => `${s.code}:${s.unit}`)).toEqual(['ELEC:kWh', 'CWATER:m3', 'HWATER:m3', 'GAS:m3']);
    expect(new Set(SERVICES.map((s) => s.code)).size).toBe(SERVICES.length);
  });

  test('a holiday on a weekend gives the next free working day off, religious holidays excepted', () => {
    const days2025 = new Map(kazakhCalendar(2025).map((d) => [d.day, d.name]));
    // Nauryz 2025: Fri 21, Sat 22, Sun 23 March -> Mon 24 and Tue 25 off.
    expect(days2025.get('2025-03-24')).toBe('Перенос выходного дня (Наурыз мейрамы)');
    expect(days2025.get('2025-03-25')).toBe('Перенос выходного дня (Наурыз мейрамы)');
    expect(days2025.get('2025-06-06')).toBe('Курбан айт');
    const days2027 = new Map(kazakhCalendar(2027).map((d) => [d.day, d.name]));
    // Kurban Ait 2027 is a Sunday and is not moved.
    expect(days2027.get('2027-05-16')).toBe('Курбан айт');
    expect(days2027.get('2027-05-17')).toBeUndefined();
    expect(days2027.get('2027-01-04')).toBe('Перенос выходного дня (Новый год)');
    expect(kazakhCalendar(2026).every((d) => d.kind === 'holiday')).toBe(true);
  });
});

describe('PRNG', () => {
  test('the same seed gives the same sequence, another seed a different one', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  test('matches the reference mulberry32 (seed 1 starts 0.6270739405881613), so a changed generator is noticed', () => {
    expect(mulberry32(1)()).toBe(0.6270739405881613);
    const rng = createRng(1);
    expect([rng.int(0, 999), rng.int(0, 999), rng.int(0, 999)]).toEqual([627, 2, 527]);
  });

  test('int stays within its inclusive bounds and reaches both ends', () => {
    const rng = createRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  test('derived seeds differ per stream and are stable', () => {
    const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => deriveSeed(1, i)));
    expect(seeds.size).toBe(10_000);
    expect(deriveSeed(1, 5)).toBe(deriveSeed(1, 5));
    expect(deriveSeed(1, 5)).not.toBe(deriveSeed(2, 5));
  });
});

describe('demo generator', () => {
  test('is deterministic for a seed, and a smaller run is a prefix of a larger one', () => {
    const first = take(300, 5);
    expect(take(300, 5)).toEqual(first);
    expect(take(120, 5)).toEqual(first.slice(0, 120));
    expect(take(300, 6)).not.toEqual(first);
  });

  test('the three sample accounts are the same for every seed', () => {
    const a = take(3, 1);
    const b = take(3, 987654321);
    expect(a).toEqual(b);
    expect(a.map((x) => x.number)).toEqual([...SAMPLE_ACCOUNTS]);
  });

  test('sample 1000000001 has exactly three services, each with something due', () => {
    const [sample] = take(1, 1);
    expect(sample?.lines.map((l) => [l.service, formatTiyn(amountDueTiyn(l))])).toEqual([
      ['ELEC', '5469.60'],
      ['CWATER', '851.06'],
      ['WASTE', '1596.00'],
    ]);
  });

  test('sample 1000000002 carries debt and 1000000003 has a line fully covered by credit', () => {
    const [, debtor, ahead] = take(3, 1);
    expect(debtor?.lines.some((l) => l.openingTiyn > 0n)).toBe(true);
    const covered = ahead?.lines.find((l) => l.service === 'CWATER');
    expect(covered && covered.openingTiyn + covered.chargedTiyn < 0n).toBe(true);
    expect(covered && amountDueTiyn(covered)).toBe(0n);
  });

  test('accounts have unique increasing 10-digit numbers, the base services, and a meter on every metered line', () => {
    const metered = new Set(SERVICES.filter((s) => s.metered).map((s) => s.code));
    const base = ['ELEC', 'CWATER', 'SEWER', 'WASTE', 'MAINT'];
    const problems: string[] = [];
    let previous = 0;
    take(2000, 11).forEach((account, index) => {
      const services = account.lines.map((l) => l.service);
      if (!/^\d{10}$/.test(account.number) || Number(account.number) <= previous) problems.push(`${account.number}: number out of order`);
      previous = Number(account.number);
      if (account.holderName.split(' ').length !== 3) problems.push(`${account.number}: holder ${account.holderName}`);
      if (!account.address.startsWith('г. Алматы, ')) problems.push(`${account.number}: address ${account.address}`);
      if (new Set(services).size !== services.length) problems.push(`${account.number}: repeated service`);
      if (index >= SAMPLE_ACCOUNTS.length && !base.every((b) => services.includes(b))) problems.push(`${account.number}: missing a base service`);
      for (const line of account.lines) {
        if (line.chargedTiyn < 0n) problems.push(`${account.number}/${line.service}: negative charge`);
        if ((line.meter !== null) !== metered.has(line.service)) problems.push(`${account.number}/${line.service}: meter mismatch`);
      }
    });
    expect(problems).toEqual([]);
  });

  test('about 15% of accounts open with debt and about 8% with credit', () => {
    const accounts = take(10_000, 3).slice(3);
    const withDebt = accounts.filter((a) => a.lines.some((l) => l.openingTiyn > 0n)).length / accounts.length;
    const withCredit = accounts.filter((a) => a.lines.some((l) => l.openingTiyn < 0n)).length / accounts.length;
    expect(withDebt).toBeGreaterThan(0.13);
    expect(withDebt).toBeLessThan(0.17);
    expect(withCredit).toBeGreaterThan(0.065);
    expect(withCredit).toBeLessThan(0.095);
  });

  test('heating is charged in the heating season only', () => {
    const heat = (period: string) => take(200, 1, period).flatMap((a) => a.lines.filter((l) => l.service === 'HEAT'));
    expect(heat('2026-07-01').every((l) => l.chargedTiyn === 0n)).toBe(true);
    expect(heat('2026-01-01').every((l) => l.chargedTiyn > 0n)).toBe(true);
  });

  test('amount due is the opening balance plus the charge, never below zero', () => {
    expect(amountDueTiyn({ openingTiyn: -500n, chargedTiyn: 300n })).toBe(0n);
    expect(amountDueTiyn({ openingTiyn: 250n, chargedTiyn: 300n })).toBe(550n);
    expect(formatTiyn(-5n)).toBe('-0.05');
    expect(formatTiyn(123456n)).toBe('1234.56');
  });
});

describe('periods', () => {
  test('accepts YYYY-MM and YYYY-MM-01 and explains anything else', () => {
    expect(parsePeriod('2026-11')).toBe('2026-11-01');
    expect(parsePeriod('2026-11-01')).toBe('2026-11-01');
    expect(() => parsePeriod('2026-13')).toThrow(/YYYY-MM/);
    expect(() => parsePeriod('2026-11-15')).toThrow(/YYYY-MM/);
  });

  test('invoices are due on the 25th of the following month', () => {
    expect(dueDateFor('2026-11-01')).toBe('2026-12-25');
    expect(dueDateFor('2026-12-01')).toBe('2027-01-25');
  });

  test('the current period follows Almaty time (UTC+5)', () => {
    expect(currentPeriod(new Date('2026-11-30T19:30:00Z'))).toBe('2026-12-01');
    expect(currentPeriod(new Date('2026-11-30T18:30:00Z'))).toBe('2026-11-01');
  });
});

describe('spc seed arguments', () => {
  test('parses valid arguments', () => {
    expect(parseSeedArgs({ accounts: '500_000', seed: '7', period: '2026-11' })).toEqual({ accounts: 500000, seed: 7, period: '2026-11-01', skipExisting: false });
    expect(parseSeedArgs({ accounts: '10' })).toMatchObject({ accounts: 10, seed: 1, period: undefined });
  });

  test.each([
    [{ accounts: '0' }, /--accounts must be a whole number from 1/],
    [{ accounts: 'ten' }, /--accounts must be a whole number/],
    [{ accounts: '99999999' }, /--accounts must be a whole number from 1 to 5000000/],
    [{ accounts: '10', seed: '-1' }, /--seed must be a whole number from 0/],
    [{ accounts: '10', period: 'November' }, /--period must be a month as YYYY-MM/],
    [{}, /--accounts is required/],
  ])('rejects %j with a message that says what to fix', (raw, message) => {
    expect(() => parseSeedArgs(raw)).toThrow(message);
  });
});

describe('progress bar', () => {
  function fakeStream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
  }

  test('without a TTY prints one line per 10% and a summary', () => {
    let clock = 0;
    const { writes, stream } = fakeStream(false);
    const bar = progressBar('seeding', 1000, { stream, now: () => clock });
    for (let done = 0; done <= 1000; done += 50) {
      clock += 100;
      bar.tick(done);
    }
    bar.done();
    expect(writes).toHaveLength(12); // 0%, 10%, ..., 100%, summary
    expect(writes[5]).toMatch(/^seeding 50\.0% 500\/1000 \d+\/s ETA \d+:\d\d\n$/);
    expect(writes[11]).toBe('seeding 1000/1000 in 0:02\n');
  });

  test('on a TTY redraws one line with a bar, rate and ETA', () => {
    let clock = 0;
    const { writes, stream } = fakeStream(true);
    const bar = progressBar('seeding', 100, { stream, now: () => clock });
    clock = 1000;
    bar.tick(50);
    expect(writes[0]).toContain('\rseeding [###############...............] 50.0% 50/100 50/s ETA 0:01');
    bar.done();
    expect(writes[1]).toMatch(/^\rseeding 50\/100 in 0:01/);
  });
});
