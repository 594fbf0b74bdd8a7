// What the demo bills: the tariffs and one household's charge lines for a month.
//
// Amounts are integer tiyn held in bigint from tariff to text: exact, and faster than decimal.js
// for millions of lines. Tariffs are rounded 2024-2025 Almaty household tariffs: plausible, not
// official.
import { SERVICES } from './reference';

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
export const HEATING_MONTHS = new Set([1, 2, 3, 4, 10, 11, 12]);

export const METERED = ['ELEC', 'CWATER', 'HWATER', 'GAS'] as const;
export type MeteredService = (typeof METERED)[number];

const SERVICE_ORDER = new Map(SERVICES.map((s) => [s.code, s.sortOrder]));

export interface DemoLine {
  service: string;
  /** > 0 debt carried over, < 0 credit from an overpayment. */
  openingTiyn: bigint;
  chargedTiyn: bigint;
  /** Set for metered services: the meter's serial and its reading at the start of the period (in thousandths). */
  meter: { serial: string; previousReadingMilli: bigint } | null;
}

export interface Household {
  services: string[];
  areaDeci: bigint; // floor area in tenths of m2
  residents: bigint;
  usageMilli: Partial<Record<MeteredService, bigint>>; // this period's consumption, thousandths
  meters: Partial<Record<MeteredService, { serial: string; previousReadingMilli: bigint }>>;
}

/** Half-up division of non-negative integers: the rounding of a charge to the tiyn. */
export function divRound(numerator: bigint, denominator: bigint): bigint {
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

export function chargeLines(h: Household, period: string): DemoLine[] {
  const month = Number(period.slice(5, 7));
  return [...h.services]
    .sort((a, b) => (SERVICE_ORDER.get(a) ?? 0) - (SERVICE_ORDER.get(b) ?? 0))
    .map((service) => {
      const meter = (METERED as readonly string[]).includes(service) ? h.meters[service as MeteredService] : undefined;
      if ((METERED as readonly string[]).includes(service) && !meter) throw new Error(`invariant: metered service ${service} without a meter`);
      return { service, openingTiyn: 0n, chargedTiyn: charge(service, h, month), meter: meter ?? null };
    });
}
