// Amounts as integer tiyn in a bigint: exact without a decimal library, for the code that must not
// carry one (the workflow bundle, the seed's and the register parser's hot loops). Everywhere else
// money is decimal.js (domain/money.ts); both write the same two-fraction-digit text.

const AMOUNT_TEXT_RE = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

/** "-1.5" → -150n. Throws on anything but an optional minus, digits and up to two fraction digits. */
export function parseTiyn(text: string): bigint {
  const m = AMOUNT_TEXT_RE.exec(text);
  if (!m) throw new RangeError(`not an amount of KZT with up to two fraction digits: ${JSON.stringify(text.slice(0, 40))}`);
  const abs = BigInt(m[2] as string) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -abs : abs;
}

/** -5n → "-0.05": two fraction digits, a minus only below zero. */
export function formatTiyn(tiyn: bigint): string {
  const negative = tiyn < 0n;
  const abs = negative ? -tiyn : tiyn;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** The exact sum of amount texts, as amount text. */
export function sumTiynText(amounts: readonly string[]): string {
  return formatTiyn(amounts.reduce((sum, a) => sum + parseTiyn(a), 0n));
}
