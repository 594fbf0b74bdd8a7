// The pure generator of the demo accounts: three fixed sample accounts, then accounts
// deterministic from a seed, each with its meters and one month's invoice lines.
import { createRng, deriveSeed, type Rng } from './random';
import { formatTiyn } from '../../domain/tiyn';
import { chargeLines, divRound, HEATING_MONTHS, type DemoLine, type Household } from './demo-charges';
import { building, holderName, randomHousehold } from './demo-households';

export const DEMO_DEFAULT_SEED = 1;
export const FIRST_ACCOUNT_NUMBER = 1_000_000_001;

/**
 * Three accounts that are the same for every seed, for documentation and manual tests:
 * 1000000001 has exactly three services with something due (a payment of 1000.00 splits over
 * three lines), 1000000002 carries debt, 1000000003 has paid ahead (one line with nothing due).
 */
export const SAMPLE_ACCOUNTS = ['1000000001', '1000000002', '1000000003'] as const;

export interface DemoAccount {
  number: string;
  holderName: string;
  address: string;
  lines: DemoLine[];
}

function sampleAccounts(period: string): DemoAccount[] {
  const house: Household = {
    services: ['ELEC', 'CWATER', 'WASTE'],
    areaDeci: 1120n,
    residents: 3n,
    usageMilli: { ELEC: 212_000n, CWATER: 9_340n },
    meters: { ELEC: { serial: 'CE102M-011000001', previousReadingMilli: 18_344_000n }, CWATER: { serial: 'VSKM90-10000001', previousReadingMilli: 412_118n } },
  };
  const flatWithDebt: Household = {
    services: ['ELEC', 'CWATER', 'SEWER', 'HWATER', 'HEAT', 'WASTE', 'ELEVATOR', 'MAINT'],
    areaDeci: 584n,
    residents: 2n,
    usageMilli: { ELEC: 184_000n, CWATER: 6_120n, HWATER: 3_050n },
    meters: {
      ELEC: { serial: 'CE102M-011000002', previousReadingMilli: 27_910_000n },
      CWATER: { serial: 'VSKM90-10000002', previousReadingMilli: 633_402n },
      HWATER: { serial: 'VSGD-20000002', previousReadingMilli: 301_877n },
    },
  };
  const flatPaidAhead: Household = {
    services: ['ELEC', 'CWATER', 'SEWER', 'HWATER', 'HEAT', 'GAS', 'WASTE', 'ELEVATOR', 'MAINT', 'INTERCOM'],
    areaDeci: 762n,
    residents: 4n,
    usageMilli: { ELEC: 265_000n, CWATER: 11_480n, HWATER: 5_210n, GAS: 14_700n },
    meters: {
      ELEC: { serial: 'CE102M-011000003', previousReadingMilli: 9_512_000n },
      CWATER: { serial: 'VSKM90-10000003', previousReadingMilli: 188_045n },
      HWATER: { serial: 'VSGD-20000003', previousReadingMilli: 97_330n },
      GAS: { serial: 'BK-G4-30000003', previousReadingMilli: 2_874_260n },
    },
  };
  const withOpening = (lines: DemoLine[], opening: Record<string, bigint>): DemoLine[] =>
    lines.map((l) => ({ ...l, openingTiyn: opening[l.service] ?? 0n }));
  return [
    { number: SAMPLE_ACCOUNTS[0], holderName: 'Сейткали Айгерим Нурлановна', address: 'г. Алматы, мкр. Калкаман-2, д. 114', lines: chargeLines(house, period) },
    {
      number: SAMPLE_ACCOUNTS[1],
      holderName: 'Иванов Сергей Петрович',
      address: 'г. Алматы, пр. Абая, д. 68, кв. 45',
      lines: withOpening(chargeLines(flatWithDebt, period), { ELEC: 949_440n, MAINT: 560_640n }),
    },
    {
      number: SAMPLE_ACCOUNTS[2],
      holderName: 'Ахметова Динара Ерлановна',
      address: 'г. Алматы, мкр. Самал-2, д. 58, кв. 12',
      lines: withOpening(chargeLines(flatPaidAhead, period), { CWATER: -300_000n, ELEC: -150_000n }),
    },
  ];
}

/** About 15% of accounts carry debt and 8% have paid ahead; the rest open the month at zero. */
export const DEMO_DEBT_SHARE = 0.15;
export const DEMO_CREDIT_SHARE = 0.08;

function applyOpeningBalances(rng: Rng, lines: DemoLine[]): void {
  const roll = rng.next();
  if (roll >= DEMO_DEBT_SHARE + DEMO_CREDIT_SHARE) return;
  const debt = roll < DEMO_DEBT_SHARE;
  let touched = 0;
  for (const line of lines) {
    if (!rng.chance(debt ? 0.7 : 0.6)) continue;
    touched++;
    // A line with no charge this month (heating in summer) can still carry last season's balance.
    const base = line.chargedTiyn > 0n ? line.chargedTiyn : BigInt(rng.int(1_000, 20_000) * 100);
    line.openingTiyn = debt
      ? base * BigInt(rng.int(1, 4)) + BigInt(rng.int(0, 99))
      : -divRound(base * BigInt(rng.int(30, 180)), 100n); // above 100% the credit covers the whole charge
  }
  if (touched === 0 && lines[0]) {
    const first = lines[0];
    const base = first.chargedTiyn > 0n ? first.chargedTiyn : 100_000n;
    first.openingTiyn = debt ? base * 2n : -base / 2n;
  }
}

/**
 * Yields the demo accounts in order, deterministic from `seed`: the first three are
 * SAMPLE_ACCOUNTS (identical for every seed), and account i is the same whatever the count
 * asked for, so a small seed is a prefix of a large one.
 */
export function* generateDemoAccounts(count: number, seed: number, period: string): Generator<DemoAccount> {
  const samples = sampleAccounts(period);
  for (let i = 0; i < Math.min(count, samples.length); i++) yield samples[i] as DemoAccount;
  // Numbers leave small gaps, as real ones do after closures: a neighbour's number is not always an account.
  const gaps = createRng(deriveSeed(seed, 0xacc0_0000));
  let number = FIRST_ACCOUNT_NUMBER + samples.length - 1;
  const heatingMonth = HEATING_MONTHS.has(Number(period.slice(5, 7)));
  for (let i = samples.length; i < count; i++) {
    number += 1 + gaps.int(0, 2);
    const rng = createRng(deriveSeed(seed, i));
    const b = building(seed, rng);
    const household = randomHousehold(rng, b, heatingMonth);
    const name = holderName(rng);
    const lines = chargeLines(household, period);
    applyOpeningBalances(rng, lines);
    yield { number: String(number), holderName: name, address: `${b.address}, кв. ${rng.int(1, b.flatsMax)}`, lines };
  }
}

/** Highest number the generator can reach for `count` accounts (gaps are at most 2). */
export function lastPossibleAccountNumber(count: number): number {
  return FIRST_ACCOUNT_NUMBER + 3 * Math.max(count, SAMPLE_ACCOUNTS.length);
}

// ---------------------------------------------------------------------------------------------
// Formatting

export { formatTiyn };

export function formatMilli(milli: bigint): string {
  if (milli < 0n) throw new Error(`invariant: negative meter reading ${milli}`);
  return `${milli / 1000n}.${String(milli % 1000n).padStart(3, '0')}`;
}

/** amount_due as the schema defines it: GREATEST(opening_balance + charged, 0). */
export function amountDueTiyn(line: Pick<DemoLine, 'openingTiyn' | 'chargedTiyn'>): bigint {
  const total = line.openingTiyn + line.chargedTiyn;
  return total > 0n ? total : 0n;
}
