// Master data is checked where it is written (migration 20261201000001): the database refuses a
// provider or bank whose IBAN fails mod-97 or whose BIN has a wrong check digit, and a provider
// whose BIC is not the one of the bank its IBAN names. The SQL functions agree with
// domain/identifiers.ts, and the reference seed passes them.
import { randomBytes } from 'node:crypto';
import { binCheckDigit, isValidBin, isValidKzIban, makeKzIban } from '../../domain/identifiers';
import { seedReferenceData } from '../../db/seed/reference';
import { withTestDatabase } from '../support/env';

const database = withTestDatabase((d) => seedReferenceData(d.db));

function randomIban(): string {
  const code = String(100 + (randomBytes(1)[0] as number)).slice(0, 3);
  const account = randomBytes(13).toString('hex').toUpperCase().slice(0, 13).replace(/[A-F]/g, (c) => String(c.charCodeAt(0) - 65));
  return makeKzIban(code, account);
}

function randomBinPrefix(): string {
  return String(randomBytes(6).readUIntBE(0, 6) % 100_000_000_000).padStart(11, '0');
}

it('checks IBANs and BINs in SQL exactly as domain/identifiers.ts does', async () => {
  const ibans: string[] = [];
  for (let i = 0; i < 40; i++) {
    const iban = randomIban();
    ibans.push(iban, `${iban.slice(0, 10)}${(Number(iban[10]) + 1) % 10}${iban.slice(11)}`, `KZ00${iban.slice(4)}`);
  }
  const bins: string[] = [];
  for (let i = 0; i < 40; i++) {
    const prefix = randomBinPrefix();
    for (let d = 0; d < 10; d++) bins.push(`${prefix}${d}`);
  }
  const { rows } = await database.db.raw<{ rows: Array<{ v: string; iban: boolean; bin: boolean }> }>(
    'SELECT v, spc_kz_iban_valid(v) AS iban, spc_bin_valid(v) AS bin FROM unnest(?::text[]) AS v',
    [[...ibans, ...bins]],
  );
  for (const r of rows) {
    expect([r.v, r.iban]).toEqual([r.v, isValidKzIban(r.v)]);
    expect([r.v, r.bin]).toEqual([r.v, isValidBin(r.v)]);
  }
  // Each prefix with a check digit has exactly one valid BIN among its ten.
  expect(rows.filter((r) => r.bin).length).toBe(new Set(bins.filter((b) => binCheckDigit(b.slice(0, 11)) !== null).map((b) => b.slice(0, 11))).size);
});

/** A valid BIN no provider has yet. */
function freshBin(): string {
  for (;;) {
    const prefix = randomBinPrefix();
    const check = binCheckDigit(prefix);
    if (check !== null) return `${prefix}${check}`;
  }
}

it('passes the reference seed and refuses a provider with a wrong IBAN, BIN or BIC', async () => {
  expect(await database.db('providers').count({ n: '*' }).first()).not.toEqual({ n: '0' });
  const good = { id: 'NEW_PROVIDER', name: 'ТОО «Новый»', bin: freshBin(), iban: makeKzIban('601', '0000000000999'), bic: 'HSBKKZKX', knp: '856', kbe: '17' };
  const badIban = `${good.iban.slice(0, 10)}${(Number(good.iban[10]) + 1) % 10}${good.iban.slice(11)}`;
  const badBin = `${good.bin.slice(0, 11)}${(Number(good.bin[11]) + 1) % 10}`;
  await expect(database.db('providers').insert({ ...good, iban: badIban })).rejects.toThrow(/providers_iban_check_digits/);
  await expect(database.db('providers').insert({ ...good, bin: badBin })).rejects.toThrow(/providers_bin_check_digit/);
  await expect(database.db('providers').insert({ ...good, bic: 'CASPKZKA' })).rejects.toThrow(/BIC CASPKZKA is not the BIC of bank code 601/);
  await database.db('providers').insert(good);
  await expect(database.db('providers').where({ id: 'NEW_PROVIDER' }).update({ iban: badIban })).rejects.toThrow(/providers_iban_check_digits/);
  await expect(database.db('banks').where({ code: 'HSBK' }).update({ settlement_iban: makeKzIban('722', '0000000000001') })).rejects.toThrow(/banks_settlement_iban_own_code/);
});
