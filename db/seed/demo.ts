// Almaty-like demo data: personal accounts with their meters and one month's invoice each,
// deterministic from a seed. The generation is pure (generateDemoAccounts); the loading streams
// rows into Postgres with COPY inside one transaction, so half a million accounts take minutes
// and a failure leaves nothing behind.
//
// Amounts are integer tiyn held in bigint from tariff to text: exact, and faster than decimal.js
// for millions of lines. Tariffs are rounded 2024-2025 Almaty household tariffs: plausible, not
// official.
import type { Knex } from 'knex';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toAlmaty } from '../../domain/calendar';
import { createRng, deriveSeed, SEED_MAX, type Rng } from './random';
import { SERVICES } from './reference';
import { formatTiyn } from '../../domain/tiyn';

/** Upper bound on one seed run: ten times the accounts of Almaty's SPC is a typo, not a demo. */
export const DEMO_ACCOUNTS_MAX = 5_000_000;
/** Accounts per COPY round: about 45,000 rows, a few MB of text. */
export const DEMO_BATCH_ACCOUNTS = 5_000;
export const DEMO_DEFAULT_SEED = 1;
export const FIRST_ACCOUNT_NUMBER = 1_000_000_001;
/** Invoices are due by this day of the month after the billing month. */
export const DUE_DAY_OF_MONTH = 25;

/**
 * Three accounts that are the same for every seed, for documentation and manual tests:
 * 1000000001 has exactly three services with something due (a payment of 1000.00 splits over
 * three lines), 1000000002 carries debt, 1000000003 has paid ahead (one line with nothing due).
 */
export const SAMPLE_ACCOUNTS = ['1000000001', '1000000002', '1000000003'] as const;

/** Tariffs in tiyn: per kWh or m3 of use, per m2 of floor area, per resident or per flat. */
export const DEMO_TARIFFS_TIYN: Readonly<Record<string, bigint>> = {
  ELEC: 2580n, // per kWh
  CWATER: 9112n, // per m3
  SEWER: 5847n, // per m3 of cold and hot water used
  HWATER: 43037n, // per m3
  HEAT: 8750n, // per m2, heating-season months only
  GAS: 2550n, // per m3
  WASTE: 53200n, // per resident
  ELEVATOR: 1120n, // per m2
  MAINT: 4800n, // per m2
  INTERCOM: 35000n, // per flat
};

/** Almaty heats from mid-October to mid-April; the demo bills heating for whole months in that span. */
const HEATING_MONTHS = new Set([1, 2, 3, 4, 10, 11, 12]);

const METERED = ['ELEC', 'CWATER', 'HWATER', 'GAS'] as const;
type MeteredService = (typeof METERED)[number];

const SERVICE_ORDER = new Map(SERVICES.map((s) => [s.code, s.sortOrder]));

// ---------------------------------------------------------------------------------------------
// Periods

/** The billing month containing `now` in Asia/Almaty, as YYYY-MM-01. */
export function currentPeriod(now: Date = new Date()): string {
  return `${toAlmaty(now).date.slice(0, 7)}-01`;
}

/** Accepts YYYY-MM or YYYY-MM-01 and returns YYYY-MM-01. */
export function parsePeriod(input: string): string {
  const match = /^(\d{4})-(0[1-9]|1[0-2])(-01)?$/.exec(input);
  if (!match) throw new Error(`period "${input}" is not a month: give it as YYYY-MM, e.g. 2026-11`);
  return `${match[1]}-${match[2]}-01`;
}

/** The due date of an invoice for `period`: the 25th of the following month. */
export function dueDateFor(period: string): string {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  return `${nextYear}-${String(nextMonth).padStart(2, '0')}-${DUE_DAY_OF_MONTH}`;
}

// ---------------------------------------------------------------------------------------------
// The pure generator

export interface DemoLine {
  service: string;
  /** > 0 debt carried over, < 0 credit from an overpayment. */
  openingTiyn: bigint;
  chargedTiyn: bigint;
  /** Set for metered services: the meter's serial and its reading at the start of the period (in thousandths). */
  meter: { serial: string; previousReadingMilli: bigint } | null;
}

export interface DemoAccount {
  number: string;
  holderName: string;
  address: string;
  lines: DemoLine[];
}

interface Household {
  services: string[];
  areaDeci: bigint; // floor area in tenths of m2
  residents: bigint;
  usageMilli: Partial<Record<MeteredService, bigint>>; // this period's consumption, thousandths
  meters: Partial<Record<MeteredService, { serial: string; previousReadingMilli: bigint }>>;
}

/** Half-up division of non-negative integers: the rounding of a charge to the tiyn. */
function divRound(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (2n * denominator);
}

function tariff(service: string): bigint {
  const value = DEMO_TARIFFS_TIYN[service];
  if (value === undefined) throw new Error(`no demo tariff for service ${service}`);
  return value;
}

function charge(service: string, h: Household, month: number): bigint {
  const usage = (s: MeteredService): bigint => h.usageMilli[s] ?? 0n;
  switch (service) {
    case 'ELEC':
    case 'CWATER':
    case 'HWATER':
    case 'GAS':
      return divRound(usage(service) * tariff(service), 1000n);
    case 'SEWER':
      return divRound((usage('CWATER') + usage('HWATER')) * tariff(service), 1000n);
    case 'HEAT':
      return HEATING_MONTHS.has(month) ? divRound(h.areaDeci * tariff(service), 10n) : 0n;
    case 'ELEVATOR':
    case 'MAINT':
      return divRound(h.areaDeci * tariff(service), 10n);
    case 'WASTE':
      return h.residents * tariff(service);
    case 'INTERCOM':
      return tariff(service);
    default:
      throw new Error(`the demo generator does not know how to charge service ${service}`);
  }
}

function chargeLines(h: Household, period: string): DemoLine[] {
  const month = Number(period.slice(5, 7));
  return [...h.services]
    .sort((a, b) => (SERVICE_ORDER.get(a) ?? 0) - (SERVICE_ORDER.get(b) ?? 0))
    .map((service) => {
      const meter = (METERED as readonly string[]).includes(service) ? h.meters[service as MeteredService] : undefined;
      if ((METERED as readonly string[]).includes(service) && !meter) throw new Error(`invariant: metered service ${service} without a meter`);
      return { service, openingTiyn: 0n, chargedTiyn: charge(service, h, month), meter: meter ?? null };
    });
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

// Names: surname first, as on Kazakh invoices. Surnames ending in -ов/-ев/-ин take -а for women;
// the others (Kazakh -али, Korean, Ukrainian -енко) do not change.
const KAZAKH_SURNAMES = [
  'Ахметов', 'Абдрахманов', 'Байжанов', 'Жумабаев', 'Искаков', 'Касымов', 'Мукашев', 'Нурпеисов', 'Омаров', 'Сарсенбаев',
  'Тулеуов', 'Ержанов', 'Калиев', 'Бекмуханов', 'Сулейменов', 'Жакупов', 'Есенов', 'Кенжебаев', 'Мамытов', 'Утепов',
  'Абенов', 'Ермеков', 'Сейткали', 'Жумагали', 'Нургали', 'Кусаинов', 'Темирбеков', 'Садыков', 'Исаев', 'Оспанов',
];
const KAZAKH_MALE = ['Айдар', 'Ерлан', 'Нурлан', 'Данияр', 'Арман', 'Бауыржан', 'Серик', 'Марат', 'Асхат', 'Ерболат', 'Канат', 'Тимур', 'Азамат', 'Жандос', 'Бекзат', 'Нуржан', 'Алибек', 'Дархан', 'Ерасыл', 'Санжар'];
const KAZAKH_FEMALE = ['Айгерим', 'Динара', 'Жанар', 'Гульнара', 'Асель', 'Мадина', 'Алия', 'Салтанат', 'Камила', 'Айжан', 'Жулдыз', 'Томирис', 'Аружан', 'Дана', 'Сауле', 'Гаухар', 'Меруерт', 'Акмарал'];
const RUSSIAN_SURNAMES = [
  'Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Васильев', 'Петров', 'Соколов', 'Михайлов', 'Новиков', 'Федоров',
  'Морозов', 'Волков', 'Лебедев', 'Семенов', 'Егоров', 'Павлов', 'Козлов', 'Степанов', 'Николаев', 'Орлов',
  'Ким', 'Пак', 'Цой', 'Ли', 'Тен', 'Шевченко', 'Бондаренко', 'Коваленко', 'Ильин', 'Гусев',
];
const RUSSIAN_MALE = ['Александр', 'Сергей', 'Андрей', 'Дмитрий', 'Владимир', 'Николай', 'Игорь', 'Евгений', 'Алексей', 'Виктор', 'Олег', 'Михаил'];
const RUSSIAN_FEMALE = ['Ольга', 'Елена', 'Наталья', 'Татьяна', 'Ирина', 'Светлана', 'Анна', 'Мария', 'Людмила', 'Галина', 'Юлия', 'Екатерина'];
const RUSSIAN_PATRONYMICS: ReadonlyArray<readonly [string, string]> = [
  ['Александрович', 'Александровна'], ['Сергеевич', 'Сергеевна'], ['Андреевич', 'Андреевна'], ['Дмитриевич', 'Дмитриевна'],
  ['Владимирович', 'Владимировна'], ['Николаевич', 'Николаевна'], ['Игоревич', 'Игоревна'], ['Викторович', 'Викторовна'],
  ['Михайлович', 'Михайловна'], ['Петрович', 'Петровна'], ['Юрьевич', 'Юрьевна'], ['Олегович', 'Олеговна'],
];

function surnameFor(surname: string, female: boolean): string {
  return female && /(ов|ев|ин)$/.test(surname) ? `${surname}а` : surname;
}

function holderName(rng: Rng): string {
  const female = rng.chance(0.55);
  if (rng.chance(0.7)) {
    const father = rng.pick(KAZAKH_MALE); // every name in the list ends in a consonant: +ович/+овна
    return `${surnameFor(rng.pick(KAZAKH_SURNAMES), female)} ${rng.pick(female ? KAZAKH_FEMALE : KAZAKH_MALE)} ${father}${female ? 'овна' : 'ович'}`;
  }
  const [patronymicMale, patronymicFemale] = rng.pick(RUSSIAN_PATRONYMICS);
  return `${surnameFor(rng.pick(RUSSIAN_SURNAMES), female)} ${rng.pick(female ? RUSSIAN_FEMALE : RUSSIAN_MALE)} ${female ? patronymicFemale : patronymicMale}`;
}

// Real Almaty streets and microdistricts; house numbers are random, so a given address may not exist.
const STREETS = [
  'пр. Абая', 'ул. Толе би', 'ул. Жандосова', 'пр. Достык', 'пр. Аль-Фараби', 'ул. Сатпаева', 'ул. Розыбакиева', 'пр. Райымбека',
  'ул. Казыбек би', 'ул. Богенбай батыра', 'ул. Жибек Жолы', 'пр. Сейфуллина', 'ул. Тимирязева', 'ул. Байзакова', 'ул. Шевченко',
  'ул. Гоголя', 'ул. Наурызбай батыра', 'ул. Жарокова', 'ул. Ауэзова', 'ул. Муканова', 'ул. Утеген батыра', 'ул. Саина',
  'пр. Рыскулова', 'ул. Жамбыла', 'ул. Курмангазы', 'ул. Манаса', 'ул. Басенова', 'ул. Навои', 'пр. Гагарина', 'ул. Тургут Озала',
];
const MICRODISTRICTS = [
  'мкр. Самал-1', 'мкр. Самал-2', 'мкр. Самал-3', 'мкр. Орбита-1', 'мкр. Орбита-2', 'мкр. Орбита-3', 'мкр. Орбита-4', 'мкр. Аксай-1',
  'мкр. Аксай-2', 'мкр. Аксай-3', 'мкр. Аксай-4', 'мкр. Аксай-5', 'мкр. Мамыр-1', 'мкр. Мамыр-4', 'мкр. Мамыр-7', 'мкр. Коктем-1',
  'мкр. Коктем-2', 'мкр. Коктем-3', 'мкр. Жетысу-1', 'мкр. Жетысу-2', 'мкр. Жетысу-3', 'мкр. Жетысу-4', 'мкр. Алмагуль',
  'мкр. Тастак-1', 'мкр. Айнабулак-2', 'мкр. Айнабулак-3', 'мкр. Кулагер', 'мкр. Таугуль', 'мкр. Казахфильм', 'мкр. Восток',
];
const HOUSE_LETTERS = ['', 'А', 'Б', 'В'];

interface Building {
  address: string; // without the flat
  floors: number;
  flatsMax: number;
  elevator: boolean;
  centralHeating: boolean;
  gas: boolean;
  intercom: boolean;
}

/**
 * A building is a function of its address (and the seed), so every flat generated in the same
 * building shares its floors, elevator, heating and gas.
 */
function building(seed: number, rng: Rng): Building {
  const inMicrodistrict = rng.chance(0.4);
  const placeIndex = rng.int(0, (inMicrodistrict ? MICRODISTRICTS : STREETS).length - 1);
  const place = (inMicrodistrict ? MICRODISTRICTS : STREETS)[placeIndex] as string;
  const house = inMicrodistrict ? rng.int(1, 90) : rng.int(1, 260);
  const letterIndex = rng.chance(0.1) ? rng.int(1, HOUSE_LETTERS.length - 1) : 0;
  const key = (inMicrodistrict ? 1 : 2) * 10_000_000 + placeIndex * 10_000 + house * 10 + letterIndex;
  const b = createRng(deriveSeed(seed ^ 0x5eed_b1d6, key));
  const floors = b.pick([5, 5, 5, 9, 9, 9, 9, 12, 12, 16]);
  const entrances = b.int(2, 8);
  const centralHeating = b.chance(0.9);
  return {
    address: `г. Алматы, ${place}, д. ${house}${HOUSE_LETTERS[letterIndex] ?? ''}`,
    floors,
    flatsMax: floors * entrances * 4,
    elevator: floors >= 9,
    centralHeating,
    // Without district heating the flat heats with a gas boiler; with it, some buildings still cook on gas.
    gas: !centralHeating || b.chance(floors <= 5 ? 0.4 : 0.1),
    intercom: b.chance(0.5),
  };
}

const AREA_DECI_BY_ROOMS: ReadonlyArray<readonly [number, number]> = [
  [300, 450],
  [440, 650],
  [580, 900],
  [800, 1300],
];

function randomHousehold(rng: Rng, b: Building, heatingMonth: boolean): Household {
  const rooms = rng.pick([1, 1, 2, 2, 2, 3, 3, 4]);
  const [areaMin, areaMax] = AREA_DECI_BY_ROOMS[rooms - 1] ?? [300, 450];
  const residents = rng.pick([1, 2, 2, 3, 3, 4, 5]);
  const services = ['ELEC', 'CWATER', 'SEWER', 'WASTE', 'MAINT'];
  if (b.centralHeating) services.push('HEAT', 'HWATER');
  if (b.gas) services.push('GAS');
  if (b.elevator) services.push('ELEVATOR');
  if (b.intercom) services.push('INTERCOM');

  const area = rng.int(areaMin, areaMax);
  const usageMilli: Household['usageMilli'] = {
    ELEC: BigInt((60 + rooms * 35 + residents * 25 + rng.int(-30, 60)) * 1000),
    CWATER: BigInt(residents * rng.int(1800, 4500)),
  };
  const meters: Household['meters'] = {
    ELEC: { serial: `CE102M-${rng.digits(9)}`, previousReadingMilli: BigInt(rng.int(1_000, 60_000) * 1000) },
    CWATER: { serial: `VSKM90-${rng.digits(8)}`, previousReadingMilli: BigInt(rng.int(10_000, 900_000)) },
  };
  if (b.centralHeating) {
    usageMilli.HWATER = BigInt(residents * rng.int(900, 2500));
    meters.HWATER = { serial: `VSGD-${rng.digits(8)}`, previousReadingMilli: BigInt(rng.int(5_000, 500_000)) };
  }
  if (b.gas) {
    const cooking = residents * rng.int(3_000, 8_000);
    const heating = !b.centralHeating ? Math.round((area / 10) * (heatingMonth ? rng.int(900, 1_800) : rng.int(100, 250))) : 0;
    usageMilli.GAS = BigInt(cooking + heating);
    meters.GAS = { serial: `BK-G4-${rng.digits(8)}`, previousReadingMilli: BigInt(rng.int(100_000, 9_000_000)) };
  }
  return { services, areaDeci: BigInt(area), residents: BigInt(residents), usageMilli, meters };
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

// ---------------------------------------------------------------------------------------------
// Loading

export interface DemoSeedOptions {
  accounts: number;
  seed?: number;
  /** YYYY-MM-01 (YYYY-MM accepted); default: the current month in Asia/Almaty. */
  period?: string;
  onProgress?: (done: number, total: number) => void;
  /** What to do when demo accounts already exist: refuse (default) or leave them and return. */
  ifExists?: 'error' | 'skip';
}

export interface DemoSeedResult {
  accounts: number;
  invoices: number;
  meters: number;
  invoiceLines: number;
  period: string;
  sampleAccounts: string[];
  /** True when ifExists = 'skip' found demo accounts and wrote nothing. */
  skipped: boolean;
}

/** Thrown when the demo accounts are already in the database; seed a fresh database instead. */
export class DemoAlreadySeededError extends Error {
  override name = 'DemoAlreadySeededError';
  constructor(readonly existing: number) {
    super(
      `the database already has ${existing} demo account(s) numbered from ${FIRST_ACCOUNT_NUMBER}: ` +
        'seed an empty database (or drop and re-create it), or pass ifExists: "skip" to keep them',
    );
  }
}

// Text-format COPY: a tab, newline or backslash inside a value would need escaping; our values
// never contain one, and this guard keeps it that way.
const COPY_UNSAFE = /[\t\n\r\\]/;

function copySafe(value: string): string {
  if (COPY_UNSAFE.test(value)) throw new Error(`invariant: ${JSON.stringify(value)} would break COPY text format`);
  return value;
}

async function copyRows(client: Client, sql: string, text: string): Promise<void> {
  if (text.length === 0) return;
  await pipeline(Readable.from([Buffer.from(text, 'utf8')]), client.query(copyFrom(sql)));
}

interface IdCursor {
  nextMeterId: bigint;
  nextInvoiceId: bigint;
}

interface CopyBatch {
  accounts: string;
  meters: string;
  invoices: string;
  lines: string;
  accountCount: number;
  meterCount: number;
  lineCount: number;
}

/** Accounts built between two yields to the event loop, so a COPY in flight keeps streaming. */
const BUILD_SLICE_ACCOUNTS = 250;

/** The COPY text of the next `size` accounts, taking meter and invoice ids from `ids`. */
async function buildBatch(
  source: Iterator<DemoAccount>,
  size: number,
  ids: IdCursor,
  invoice: { period: string; dueDate: string; issuedAt: string },
): Promise<CopyBatch> {
  const accountRows: string[] = [];
  const meterRows: string[] = [];
  const invoiceRows: string[] = [];
  const lineRows: string[] = [];
  for (let k = 0; k < size; k++) {
    if (k > 0 && k % BUILD_SLICE_ACCOUNTS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const next = source.next();
    if (next.done) throw new Error('invariant: the demo generator stopped early');
    const account = next.value;
    accountRows.push(`${account.number}\t${copySafe(account.holderName)}\t${copySafe(account.address)}\n`);
    const invoiceId = ids.nextInvoiceId++;
    invoiceRows.push(`${invoiceId}\t${account.number}\t${invoice.period}\t${invoice.dueDate}\t${invoice.issuedAt}\n`);
    for (const line of account.lines) {
      let meterColumn = '\\N';
      let readingColumn = '\\N';
      if (line.meter) {
        const meterId = ids.nextMeterId++;
        meterRows.push(`${meterId}\t${account.number}\t${line.service}\t${copySafe(line.meter.serial)}\n`);
        meterColumn = String(meterId);
        readingColumn = formatMilli(line.meter.previousReadingMilli);
      }
      lineRows.push(
        `${invoiceId}\t${line.service}\t${formatTiyn(line.openingTiyn)}\t${formatTiyn(line.chargedTiyn)}\t${formatTiyn(amountDueTiyn(line))}\t${meterColumn}\t${readingColumn}\n`,
      );
    }
  }
  return {
    accounts: accountRows.join(''),
    meters: meterRows.join(''),
    invoices: invoiceRows.join(''),
    lines: lineRows.join(''),
    accountCount: accountRows.length,
    meterCount: meterRows.length,
    lineCount: lineRows.length,
  };
}

/** Loads one batch; the order follows the foreign keys (accounts, then meters and invoices, then lines). */
async function copyBatch(client: Client, batch: CopyBatch): Promise<void> {
  await copyRows(client, 'COPY personal_accounts (number, holder_name, address) FROM STDIN', batch.accounts);
  await copyRows(client, 'COPY meters (id, account_number, service_code, serial_no) FROM STDIN', batch.meters);
  await copyRows(client, 'COPY invoices (id, account_number, period, due_date, issued_at) FROM STDIN', batch.invoices);
  await copyRows(client, 'COPY invoice_lines (invoice_id, service_code, opening_balance, charged, amount_due, meter_id, previous_reading) FROM STDIN', batch.lines);
}

interface KnexClientWithPool {
  acquireConnection(): Promise<Client>;
  releaseConnection(connection: Client): Promise<void>;
}

function validateOptions(opts: DemoSeedOptions): { accounts: number; seed: number; period: string } {
  if (!Number.isInteger(opts.accounts) || opts.accounts < 1 || opts.accounts > DEMO_ACCOUNTS_MAX) {
    throw new Error(`accounts must be a whole number from 1 to ${DEMO_ACCOUNTS_MAX}, got ${opts.accounts}`);
  }
  const seed = opts.seed ?? DEMO_DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > SEED_MAX) throw new Error(`seed must be a whole number from 0 to ${SEED_MAX}, got ${seed}`);
  return { accounts: opts.accounts, seed, period: parsePeriod(opts.period ?? currentPeriod()) };
}

export async function seedDemo(db: Knex, opts: DemoSeedOptions): Promise<DemoSeedResult> {
  const { accounts, seed, period } = validateOptions(opts);
  const dueDate = dueDateFor(period);
  const issuedAt = `${period} 00:00:00+05`;
  const sampleAccounts = SAMPLE_ACCOUNTS.slice(0, Math.min(accounts, SAMPLE_ACCOUNTS.length));
  const pool = db.client as unknown as KnexClientWithPool;
  const client = await pool.acquireConnection();
  const counts = { meters: 0, invoiceLines: 0 };
  let inFlight: Promise<void> = Promise.resolve();
  try {
    await client.query('BEGIN');
    // Writers of these tables wait until we commit; readers (and payments) are not blocked. The
    // lock also keeps anyone else from taking ids out of the ranges we assign below.
    await client.query('LOCK TABLE personal_accounts, meters, invoices, invoice_lines IN SHARE ROW EXCLUSIVE MODE');

    const services = await client.query<{ code: string }>('SELECT code FROM services WHERE code = ANY($1)', [Object.keys(DEMO_TARIFFS_TIYN)]);
    if (services.rows.length !== Object.keys(DEMO_TARIFFS_TIYN).length) {
      throw new Error('reference data is missing (services): run seedReferenceData first (`spc seed` does both)');
    }
    const existing = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM personal_accounts WHERE length(number) = 10 AND number BETWEEN $1 AND $2',
      [String(FIRST_ACCOUNT_NUMBER), String(lastPossibleAccountNumber(accounts))],
    );
    const existingCount = Number(existing.rows[0]?.n ?? 0);
    if (existingCount > 0) {
      await client.query('ROLLBACK');
      if (opts.ifExists === 'skip') return { accounts: 0, invoices: 0, meters: 0, invoiceLines: 0, period, sampleAccounts, skipped: true };
      throw new DemoAlreadySeededError(existingCount);
    }

    // Ids are assigned here, not by the sequences row by row, so that lines can name their
    // invoice and meter in the same COPY stream; the sequences are moved past them at the end.
    const seqRow = await client.query<{ meter_id: string; invoice_id: string }>(
      `SELECT nextval(pg_get_serial_sequence('meters', 'id')) AS meter_id, nextval(pg_get_serial_sequence('invoices', 'id')) AS invoice_id`,
    );

    opts.onProgress?.(0, accounts);
    const ids: IdCursor = { nextMeterId: BigInt(seqRow.rows[0]?.meter_id ?? '1'), nextInvoiceId: BigInt(seqRow.rows[0]?.invoice_id ?? '1') };
    const invoice = { period, dueDate, issuedAt };
    const generator = generateDemoAccounts(accounts, seed, period);
    let built = 0;
    let done = 0;
    // Two stages in flight: Postgres loads batch k while we build batch k + 1.
    while (built < accounts) {
      const batch = await buildBatch(generator, Math.min(DEMO_BATCH_ACCOUNTS, accounts - built), ids, invoice);
      built += batch.accountCount;
      await inFlight;
      inFlight = copyBatch(client, batch).then(() => {
        done += batch.accountCount;
        counts.meters += batch.meterCount;
        counts.invoiceLines += batch.lineCount;
        opts.onProgress?.(done, accounts);
      });
      inFlight.catch(() => undefined); // awaited on the next turn or below; this only marks it handled
    }
    await inFlight;

    // setval(seq, n, true): the next nextval returns n + 1. When no meter was made, hand back the
    // id we took (is_called = false makes the next nextval return it).
    await client.query(
      `SELECT setval(pg_get_serial_sequence('meters', 'id'), $1::bigint, $2), setval(pg_get_serial_sequence('invoices', 'id'), $3::bigint, $4)`,
      [
        String(counts.meters > 0 ? ids.nextMeterId - 1n : ids.nextMeterId),
        counts.meters > 0,
        String(ids.nextInvoiceId - 1n),
        true,
      ],
    );
    await client.query('COMMIT');
  } catch (error) {
    await inFlight.catch(() => undefined);
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await pool.releaseConnection(client);
  }
  // Fresh statistics, so the first payments do not plan against an empty table.
  await db.raw('ANALYZE personal_accounts, meters, invoices, invoice_lines');
  return { accounts, invoices: accounts, meters: counts.meters, invoiceLines: counts.invoiceLines, period, sampleAccounts, skipped: false };
}
