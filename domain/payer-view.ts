// What a bank (a cashier included) sees of a payer: enough to confirm with the person at the window
// that the account number is their household, not enough to build a register of who lives where
// (issue 16 item 11: any key could read full names and flat addresses for any account number).
// The surname and initials, and the street and house without the flat, are what the paper invoice's
// tear-off stub has always shown the bank; the full name and the flat stay in the SPC database.
// Every answer that reaches a bank key goes through payerView (api/invoice.ts), so there is one rule.

export interface PayerView {
  /** Surname and initials: «Абенов А. К.». */
  holder: string;
  /** Street and house, the flat dropped: «г. Алматы, пр. Абая, д. 68». */
  address: string;
}

/** Kazakh patronymic endings written as a separate word («Кайрат улы»): not a name of their own. */
const PATRONYMIC_PARTICLES = new Set(['улы', 'ұлы', 'уулу', 'кызы', 'қызы', 'гызы']);

/** Bound on the words of a name we look at; a name field is never longer. */
const NAME_WORDS_MAX = 8;

function initial(word: string): string {
  // One initial per hyphenated part («Анна-Мария» → «А.-М.»), as Russian typography writes them.
  return word
    .split('-')
    .filter((part) => part.length > 0)
    .map((part) => `${Array.from(part)[0]!.toLocaleUpperCase('ru')}.`)
    .join('-');
}

/**
 * «Абенов Арман Кайратович» → «Абенов А. К.». The first word is the surname (the order the SPC's
 * account register writes names in), kept whole, hyphenated surnames included; every later word is cut
 * to its initial. A one-word name is kept as it is: there is nothing to abbreviate, and the bank would
 * otherwise see nothing to check against.
 */
export function maskHolderName(full: string): string {
  const words = full.trim().split(/\s+/).filter((w) => w.length > 0).slice(0, NAME_WORDS_MAX);
  const [surname, ...rest] = words;
  if (!surname) return '';
  const initials = rest.filter((w) => !PATRONYMIC_PARTICLES.has(w.toLocaleLowerCase('ru'))).map(initial);
  return [surname, ...initials].join(' ');
}

/** A flat, office or room marker part: «кв. 12», «кв12», «квартира 3», «оф. 4», «пом. 2». */
const FLAT_PART_RE = /^(кв|квартира|оф|офис|пом|комн)\.?\s*\d+\s*[а-яёәіңғүұқөһa-z]?\s*$/iu;
/** A bare number part («12», «12а», «10/2»): a house number, or, after another one, the flat. */
const NUMBER_PART_RE = /^(д\.?\s*)?\d+\s*[а-яёәіңғүұқөһa-z]?(\/\d+)?$/iu;

/**
 * «г. Алматы, пр. Абая, д. 68, кв. 45» → «г. Алматы, пр. Абая, д. 68». The parts are comma-separated
 * as db/seed/ and the providers' registers write them; a trailing flat part is dropped, whether marked
 * («кв. 45», also «д. 68 кв. 45» without the comma) or bare after the house («пр. Абая, 10, 12»).
 */
export function maskAddress(full: string): string {
  const parts = full.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  const last = parts[parts.length - 1];
  if (last !== undefined && FLAT_PART_RE.test(last)) parts.pop();
  else if (parts.length >= 3 && NUMBER_PART_RE.test(last ?? '') && NUMBER_PART_RE.test(parts[parts.length - 2] ?? '')) parts.pop();
  const tail = parts.pop();
  // «д. 68 кв. 45» in one part: the flat rides after the house number.
  if (tail !== undefined) parts.push(tail.replace(/\s+(кв|квартира)\.?\s*\d+\s*[а-яёa-z]?\s*$/iu, ''));
  return parts.join(', ');
}

export function payerView(holderName: string, address: string): PayerView {
  return { holder: maskHolderName(holderName), address: maskAddress(address) };
}
