// Reference data: the five large Kazakh banks, the Almaty utility providers and their services,
// and the public-holiday calendar. Seeding is idempotent and never overwrites: once a row exists
// it belongs to the operators (a changed cut-off, a webhook URL, a new holiday), so a re-run only
// fills in what is missing.
//
// What is real and what is not:
// - Banks: names, BICs, IBAN bank codes and BINs are the banks' real ones (the BINs are the
//   published ones and pass the mod-11 check). TSESKZKA/998 is First Heartland Jusan Bank, renamed
//   Alatau City Bank in June 2025. Settlement IBANs and cut-off times are invented.
// - Providers: the names are real Almaty utilities (the elevator, maintenance and intercom
//   providers are stand-ins); their BINs and IBANs are generated, valid but not real.
// - KNP (payment purpose code): '856' for every provider; the exact code for utility payments is
//   not verified, which is why it is a column per provider that operators can change.
// - KBe: '16' for state-owned companies, '17' for private commercial ones, '18' for the
//   non-commercial owners' association (OSI).
import type { Knex } from 'knex';
import { kazakhFixedHolidays, addDays, isWeekend } from '../../domain/calendar';

export interface BankSeed {
  code: string;
  name: string;
  bic: string;
  ibanCode: string;
  bin: string;
  settlementIban: string;
  cutoffLocal: string;
  confirmBusinessDays: number;
}

/** Money must reach providers within 3 days (Kazakh rules from 2025). */
export const CONFIRM_BUSINESS_DAYS = 3;

export const BANKS: readonly BankSeed[] = [
  { code: 'HSBK', name: 'Halyk Bank', bic: 'HSBKKZKX', ibanCode: '601', bin: '940140000385', settlementIban: 'KZ826010KZT100000101', cutoffLocal: '18:00', confirmBusinessDays: CONFIRM_BUSINESS_DAYS },
  { code: 'CASP', name: 'Kaspi Bank', bic: 'CASPKZKA', ibanCode: '722', bin: '971240001315', settlementIban: 'KZ537220KZT100000202', cutoffLocal: '20:00', confirmBusinessDays: CONFIRM_BUSINESS_DAYS },
  { code: 'KCJB', name: 'Bank CenterCredit', bic: 'KCJBKZKX', ibanCode: '856', bin: '980640000093', settlementIban: 'KZ878560KZT100000303', cutoffLocal: '19:00', confirmBusinessDays: CONFIRM_BUSINESS_DAYS },
  { code: 'IRTY', name: 'ForteBank', bic: 'IRTYKZKA', ibanCode: '996', bin: '990740000683', settlementIban: 'KZ689960KZT100000404', cutoffLocal: '18:30', confirmBusinessDays: CONFIRM_BUSINESS_DAYS },
  {
    code: 'TSES',
    name: 'Alatau City Bank (formerly First Heartland Jusan Bank)',
    bic: 'TSESKZKA',
    ibanCode: '998',
    bin: '920140000084',
    settlementIban: 'KZ079980KZT100000505',
    cutoffLocal: '17:00',
    confirmBusinessDays: CONFIRM_BUSINESS_DAYS,
  },
];

/** Provisional purpose code for utility payments (unverified; configurable per provider). */
export const UTILITY_KNP = '856';

export interface ProviderSeed {
  id: string;
  name: string;
  bin: string;
  iban: string;
  bic: string;
  knp: string;
  kbe: string;
}

export const PROVIDERS: readonly ProviderSeed[] = [
  { id: 'ALMATYENERGOSBYT', name: 'ТОО «АлматыЭнергоСбыт»', bin: '061140003010', iban: 'KZ976010002112864317', bic: 'HSBKKZKX', knp: UTILITY_KNP, kbe: '16' },
  // One provider for both water services: Almaty Su supplies the water and takes it away.
  { id: 'ALMATY_SU', name: 'ГКП на ПХВ «Алматы Су»', bin: '990440002153', iban: 'KZ406010001234509876', bic: 'HSBKKZKX', knp: UTILITY_KNP, kbe: '16' },
  { id: 'ALTS', name: 'АО «Алматинские тепловые сети»', bin: '970240001283', iban: 'KZ638562203109685471', bic: 'KCJBKZKX', knp: UTILITY_KNP, kbe: '16' },
  { id: 'QAZAQGAZ_AIMAQ', name: 'АО «QazaqGaz Аймақ»', bin: '020240004736', iban: 'KZ4199602F0008384474', bic: 'IRTYKZKA', knp: UTILITY_KNP, kbe: '16' },
  { id: 'TARTYP', name: 'ТОО «Тартып»', bin: '001140005620', iban: 'KZ77722S000031876245', bic: 'CASPKZKA', knp: UTILITY_KNP, kbe: '17' },
  { id: 'ALMATYLIFT', name: 'ТОО «Алматылифт»', bin: '960140003978', iban: 'KZ95998FTB0000481127', bic: 'TSESKZKA', knp: UTILITY_KNP, kbe: '17' },
  // Every building has its own OSI/KSK in reality; the demo routes maintenance to one of them.
  { id: 'OSI_BEREKE_UY', name: 'ОСИ «Береке Үй»', bin: '210340006280', iban: 'KZ36722S000077123409', bic: 'CASPKZKA', knp: UTILITY_KNP, kbe: '18' },
  { id: 'DOMOFON_SERVICE', name: 'ТОО «Домофон Сервис Алматы»', bin: '110540007433', iban: 'KZ868562203117750316', bic: 'KCJBKZKX', knp: UTILITY_KNP, kbe: '17' },
];

export interface ServiceSeed {
  code: string;
  nameRu: string;
  nameKk: string;
  nameEn: string;
  providerId: string;
  metered: boolean;
  unit: string | null;
  sortOrder: number;
}

export const SERVICES: readonly ServiceSeed[] = [
  { code: 'ELEC', nameRu: 'Электроэнергия', nameKk: 'Электр энергиясы', nameEn: 'Electricity', providerId: 'ALMATYENERGOSBYT', metered: true, unit: 'kWh', sortOrder: 10 },
  { code: 'CWATER', nameRu: 'Холодная вода', nameKk: 'Суық су', nameEn: 'Cold water', providerId: 'ALMATY_SU', metered: true, unit: 'm3', sortOrder: 20 },
  // Sewerage has no meter of its own: it is billed on the cold and hot water consumed.
  { code: 'SEWER', nameRu: 'Водоотведение', nameKk: 'Су бұру', nameEn: 'Sewerage', providerId: 'ALMATY_SU', metered: false, unit: null, sortOrder: 30 },
  { code: 'HWATER', nameRu: 'Горячая вода', nameKk: 'Ыстық су', nameEn: 'Hot water', providerId: 'ALTS', metered: true, unit: 'm3', sortOrder: 40 },
  // Heating is billed per square metre in the heating season, not metered per flat.
  { code: 'HEAT', nameRu: 'Отопление', nameKk: 'Жылыту', nameEn: 'Heating', providerId: 'ALTS', metered: false, unit: null, sortOrder: 50 },
  { code: 'GAS', nameRu: 'Газ', nameKk: 'Газ', nameEn: 'Gas', providerId: 'QAZAQGAZ_AIMAQ', metered: true, unit: 'm3', sortOrder: 60 },
  { code: 'WASTE', nameRu: 'Вывоз ТБО', nameKk: 'ҚТҚ шығару', nameEn: 'Waste removal', providerId: 'TARTYP', metered: false, unit: null, sortOrder: 70 },
  { code: 'ELEVATOR', nameRu: 'Лифт', nameKk: 'Лифт', nameEn: 'Elevator', providerId: 'ALMATYLIFT', metered: false, unit: null, sortOrder: 80 },
  { code: 'MAINT', nameRu: 'Содержание жилища (ОСИ)', nameKk: 'Тұрғын үйді күтіп-ұстау (ПИБ)', nameEn: 'Building maintenance', providerId: 'OSI_BEREKE_UY', metered: false, unit: null, sortOrder: 90 },
  { code: 'INTERCOM', nameRu: 'Домофон', nameKk: 'Домофон', nameEn: 'Intercom', providerId: 'DOMOFON_SERVICE', metered: false, unit: null, sortOrder: 100 },
];

/** Years the seeded calendar covers; later years are an operator's job (or a re-seed after an update). */
export const CALENDAR_YEAR_FIRST = 2025;
export const CALENDAR_YEAR_LAST = 2027;

/** Kurban Ait is a lunar holiday: the government announces its date every year. */
export const KURBAN_AIT: Readonly<Record<number, string>> = { 2025: '2025-06-06', 2026: '2026-05-27', 2027: '2027-05-16' };

/**
 * Religious holidays are not moved when they fall on a weekend (Orthodox Christmas, Kurban Ait);
 * the others give the next working day off instead.
 */
const NOT_MOVED = new Set(['Рождество Христово', 'Курбан айт']);

export interface CalendarDaySeed {
  day: string;
  kind: 'holiday' | 'workday';
  name: string;
}

/**
 * Public holidays of a year, with the days off that replace holidays falling on a Saturday or
 * Sunday (Labour Code: the day off moves to the next working day). The government's yearly
 * decrees that swap a working day with a weekend day (bridges around holidays) are not included:
 * they change every year and an operator enters them as 'workday'/'holiday' rows.
 */
export function kazakhCalendar(year: number): CalendarDaySeed[] {
  const holidays = kazakhFixedHolidays(year).map((h) => ({ day: h.date, name: h.name }));
  const kurbanAit = KURBAN_AIT[year];
  if (kurbanAit) holidays.push({ day: kurbanAit, name: 'Курбан айт' });
  holidays.sort((a, b) => a.day.localeCompare(b.day));

  const taken = new Set(holidays.map((h) => h.day));
  const rows: CalendarDaySeed[] = holidays.map((h) => ({ day: h.day, kind: 'holiday', name: h.name }));
  for (const h of holidays) {
    if (!isWeekend(h.day) || NOT_MOVED.has(h.name)) continue;
    let substitute = addDays(h.day, 1);
    while (isWeekend(substitute) || taken.has(substitute)) substitute = addDays(substitute, 1);
    taken.add(substitute);
    rows.push({ day: substitute, kind: 'holiday', name: `Перенос выходного дня (${h.name})` });
  }
  return rows.sort((a, b) => a.day.localeCompare(b.day));
}

export async function seedReferenceData(db: Knex): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('banks')
      .insert(
        BANKS.map((b) => ({
          code: b.code,
          name: b.name,
          bic: b.bic,
          iban_code: b.ibanCode,
          bin: b.bin,
          settlement_iban: b.settlementIban,
          cutoff_local: b.cutoffLocal,
          confirm_business_days: b.confirmBusinessDays,
        })),
      )
      .onConflict()
      .ignore();
    await trx('providers')
      .insert(PROVIDERS.map((p) => ({ id: p.id, name: p.name, bin: p.bin, iban: p.iban, bic: p.bic, knp: p.knp, kbe: p.kbe })))
      .onConflict()
      .ignore();
    await trx('services')
      .insert(
        SERVICES.map((s) => ({
          code: s.code,
          name_ru: s.nameRu,
          name_kk: s.nameKk,
          name_en: s.nameEn,
          provider_id: s.providerId,
          metered: s.metered,
          unit: s.unit,
          sort_order: s.sortOrder,
        })),
      )
      .onConflict()
      .ignore();
    const days: CalendarDaySeed[] = [];
    for (let year = CALENDAR_YEAR_FIRST; year <= CALENDAR_YEAR_LAST; year++) days.push(...kazakhCalendar(year));
    await trx('calendar_days').insert(days).onConflict('day').ignore();
  });
}
