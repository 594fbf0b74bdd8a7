// A small, fully known world for payment tests: one bank (cut-off 23:59 so the day is open most of
// the time), two providers, three services on account 1000000001 (due 3000.00 / 1000.00 / 500.00,
// electricity metered with previous reading 1500), an account without invoice and an account whose
// invoice has nothing due or charged.
import type { Knex } from 'knex';
import { makeKzIban, binCheckDigit } from '../../domain/identifiers';

export function validBin(prefix11: string): string {
  for (let n = Number(prefix11); ; n++) {
    const s = String(n).padStart(11, '0');
    const check = binCheckDigit(s);
    if (check !== null) return `${s}${check}`;
  }
}

export const WORLD = {
  bank: 'HSBK',
  otherBank: 'CASP',
  account: '1000000001',
  accountWithoutInvoice: '1000000002',
  accountNothingDue: '1000000003',
} as const;

export async function createPaymentWorld(db: Knex): Promise<void> {
  await db('providers').insert([
    { id: 'AES', name: 'АО «Алматыэнергосбыт»', bin: validBin('99014000001'), iban: makeKzIban('601', '0000000000001'), bic: 'HSBKKZKX', knp: '856', kbe: '17' },
    { id: 'ALMATY_SU', name: 'ГКП «Алматы Су»', bin: validBin('99014000002'), iban: makeKzIban('722', '0000000000002'), bic: 'CASPKZKA', knp: '856', kbe: '16' },
  ]);
  await db('banks').insert([
    { code: 'HSBK', name: 'Halyk Bank', bic: 'HSBKKZKX', iban_code: '601', bin: validBin('94014000001'), settlement_iban: makeKzIban('601', '9000000000001'), cutoff_local: '23:59' },
    { code: 'CASP', name: 'Kaspi Bank', bic: 'CASPKZKA', iban_code: '722', bin: validBin('94014000002'), settlement_iban: makeKzIban('722', '9000000000002'), cutoff_local: '23:59' },
  ]);
  await db('services').insert([
    { code: 'ELEC', name_ru: 'Электроэнергия', name_kk: 'Электр энергиясы', name_en: 'Electricity', provider_id: 'AES', metered: true, unit: 'kWh', sort_order: 1 },
    { code: 'CWATER', name_ru: 'Холодная вода', name_kk: 'Суық су', name_en: 'Cold water', provider_id: 'ALMATY_SU', metered: true, unit: 'm3', sort_order: 2 },
    { code: 'SEWER', name_ru: 'Водоотведение', name_kk: 'Су бұру', name_en: 'Sewage', provider_id: 'ALMATY_SU', metered: false, unit: null, sort_order: 3 },
    { code: 'GAS', name_ru: 'Газ', name_kk: 'Газ', name_en: 'Gas', provider_id: 'AES', metered: true, unit: 'm3', sort_order: 4 },
  ]);
  await db('personal_accounts').insert([
    { number: WORLD.account, holder_name: 'Сейткали А. Б.', address: 'г. Алматы, пр. Абая, 10, кв. 5' },
    { number: WORLD.accountWithoutInvoice, holder_name: 'Иванова М. П.', address: 'г. Алматы, ул. Толе би, 3, кв. 1' },
    { number: WORLD.accountNothingDue, holder_name: 'Ким Д. С.', address: 'г. Алматы, мкр. Самал-2, 7, кв. 40' },
  ]);
  const [elecMeter] = await db('meters').insert({ account_number: WORLD.account, service_code: 'ELEC', serial_no: 'E-0001' }).returning('id');
  const [invoice] = await db('invoices').insert({ account_number: WORLD.account, period: '2026-11-01', due_date: '2026-12-25' }).returning('id');
  await db('invoice_lines').insert([
    { invoice_id: invoice.id, service_code: 'ELEC', opening_balance: '0.00', charged: '3000.00', amount_due: '3000.00', meter_id: elecMeter.id, previous_reading: '1500.000' },
    { invoice_id: invoice.id, service_code: 'CWATER', opening_balance: '100.00', charged: '900.00', amount_due: '1000.00', meter_id: null, previous_reading: null },
    { invoice_id: invoice.id, service_code: 'SEWER', opening_balance: '0.00', charged: '500.00', amount_due: '500.00', meter_id: null, previous_reading: null },
  ]);
  const [empty] = await db('invoices').insert({ account_number: WORLD.accountNothingDue, period: '2026-11-01', due_date: '2026-12-25' }).returning('id');
  await db('invoice_lines').insert({ invoice_id: empty.id, service_code: 'SEWER', opening_balance: '-50.00', charged: '0.00', amount_due: '0.00' });
}

/** Every ledger transaction balances, and every payment's allocations sum to its amount. */
export async function ledgerBreaches(db: Knex): Promise<unknown[]> {
  const unbalanced = await db.raw(`SELECT transaction_id FROM ledger_postings GROUP BY transaction_id HAVING sum(debit) <> sum(credit)`);
  const misallocated = await db.raw(
    `SELECT p.id FROM payments p LEFT JOIN allocations a ON a.payment_id = p.id GROUP BY p.id, p.amount HAVING COALESCE(sum(a.amount), 0) <> p.amount`,
  );
  return [...unbalanced.rows, ...misallocated.rows];
}
