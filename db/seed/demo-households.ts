// Who and where the demo accounts are: holders' names, Almaty addresses and buildings, and the
// household (area, residents, services, meters, consumption) of each flat.
import { createRng, deriveSeed, type Rng } from './random';
import type { Household } from './demo-charges';

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

export function holderName(rng: Rng): string {
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

export interface Building {
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
export function building(seed: number, rng: Rng): Building {
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

export function randomHousehold(rng: Rng, b: Building, heatingMonth: boolean): Household {
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
