import { createTestDatabase, withTestDatabase, type TestDatabase } from '../support/env';
import { createAccount, createWorld } from '../support/fixtures';
import { seedDemo, seedReferenceData, DemoAlreadySeededError, BANKS, PROVIDERS, SERVICES, SAMPLE_ACCOUNTS } from '../../db/seed';

const PERIOD = '2026-11-01';

async function digest(db: TestDatabase['db']): Promise<string> {
  const { rows } = await db.raw<{ rows: Array<{ md5: string }> }>(`
    SELECT md5(string_agg(concat_ws('|', a.number, a.holder_name, a.address, l.service_code, l.opening_balance, l.charged,
                                    l.amount_due, l.previous_reading, m.serial_no), ',' ORDER BY a.number, l.service_code)) AS md5
      FROM personal_accounts a
      JOIN invoices i ON i.account_number = a.number
      JOIN invoice_lines l ON l.invoice_id = i.id
      LEFT JOIN meters m ON m.id = l.meter_id
     WHERE a.number LIKE '1%' AND length(a.number) = 10`);
  return rows[0]?.md5 ?? '';
}

describe('seeding', () => {
  const world = withTestDatabase();

  test('refuses demo data before the reference data exists, saying what to run', async () => {
    await expect(seedDemo(world.db, { accounts: 10, period: PERIOD })).rejects.toThrow(/run seedReferenceData first/);
  });

  test('reference data can be seeded twice without change', async () => {
    await seedReferenceData(world.db);
    await seedReferenceData(world.db);
    const count = async (table: string) => Number((await world.db(table).count({ n: '*' }).first())?.n);
    expect(await count('banks')).toBe(BANKS.length);
    expect(await count('providers')).toBe(PROVIDERS.length);
    expect(await count('services')).toBe(SERVICES.length);
    expect(await world.db('calendar_days').where({ day: '2026-05-27' }).first()).toMatchObject({ kind: 'holiday', name: 'Курбан айт' });
  });

  test('loads the demo with COPY: counts, samples, amounts due and sequences all line up', async () => {
    const progress: number[] = [];
    const result = await seedDemo(world.db, { accounts: 7_000, seed: 3, period: PERIOD, onProgress: (done) => progress.push(done) });
    expect(result).toMatchObject({ accounts: 7_000, invoices: 7_000, period: PERIOD, sampleAccounts: [...SAMPLE_ACCOUNTS], skipped: false });
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(7_000);

    const counts = await world.db.raw<{ rows: Array<{ accounts: string; invoices: string; meters: string; lines: string; meter_mismatch: string }> }>(`
      SELECT (SELECT count(*) FROM personal_accounts) AS accounts, (SELECT count(*) FROM invoices) AS invoices,
             (SELECT count(*) FROM meters) AS meters, (SELECT count(*) FROM invoice_lines) AS lines,
             (SELECT count(*) FROM invoice_lines l JOIN services s ON s.code = l.service_code
               WHERE (l.meter_id IS NULL) = s.metered) AS meter_mismatch`);
    expect(counts.rows[0]).toEqual({ accounts: '7000', invoices: '7000', meters: String(result.meters), lines: String(result.invoiceLines), meter_mismatch: '0' });

    const sample = await world.db('invoice_lines as l')
      .join('invoices as i', 'i.id', 'l.invoice_id')
      .where('i.account_number', SAMPLE_ACCOUNTS[0])
      .orderBy('l.service_code')
      .select('l.service_code', 'l.amount_due', 'i.due_date');
    expect(sample).toEqual([
      { service_code: 'CWATER', amount_due: '851.06', due_date: '2026-12-25' },
      { service_code: 'ELEC', amount_due: '5469.60', due_date: '2026-12-25' },
      { service_code: 'WASTE', amount_due: '1596.00', due_date: '2026-12-25' },
    ]);

    // The sequences were moved past the ids the seed assigned: ordinary inserts still work.
    await createAccount(world.db, { number: '7700000001', lines: [{ service: 'ELEC', charged: '100.00', previousReading: '12.500' }], period: PERIOD });
  });

  test('refuses to seed the demo twice, or skips when asked', async () => {
    await expect(seedDemo(world.db, { accounts: 10, period: PERIOD })).rejects.toBeInstanceOf(DemoAlreadySeededError);
    await expect(seedDemo(world.db, { accounts: 10, period: PERIOD, ifExists: 'skip' })).resolves.toMatchObject({ skipped: true, accounts: 0 });
  });

  test('the same seed gives the same data in another database', async () => {
    const other = await createTestDatabase();
    try {
      await seedReferenceData(other.db);
      await seedDemo(other.db, { accounts: 7_000, seed: 3, period: PERIOD });
      expect(await digest(other.db)).toBe(await digest(world.db));
    } finally {
      await other.drop();
    }
  });
});

describe('fixtures', () => {
  const world = withTestDatabase((d) => createWorld(d.db));

  test('createAccount builds the account, meters for metered services, the invoice and its lines', async () => {
    const { invoiceId } = await createAccount(world.db, {
      number: '5550001',
      period: '2026-10',
      lines: [
        { service: 'ELEC', charged: '4500.00', previousReading: '1200.000' },
        { service: 'CWATER', opening: '-900.00', charged: '600.00' },
        { service: 'WASTE', opening: '250.50', charged: '1064.00' },
      ],
    });
    const lines = await world.db('invoice_lines').where({ invoice_id: invoiceId }).orderBy('service_code').select('service_code', 'opening_balance', 'amount_due', 'previous_reading', 'meter_id');
    expect(lines.map((l) => [l.service_code, l.opening_balance, l.amount_due, l.previous_reading, l.meter_id !== null])).toEqual([
      ['CWATER', '-900.00', '0.00', '0.000', true],
      ['ELEC', '0.00', '4500.00', '1200.000', true],
      ['WASTE', '250.50', '1314.50', null, false],
    ]);
    expect(await world.db('invoices').where({ id: invoiceId }).first('period', 'due_date')).toEqual({ period: '2026-10-01', due_date: '2026-11-25' });

    // A second month reuses the account and its meters.
    await createAccount(world.db, { number: '5550001', period: '2026-11', lines: [{ service: 'ELEC', charged: '10.00' }] });
    expect(await world.db('meters').where({ account_number: '5550001' }).count({ n: '*' }).first()).toEqual({ n: '2' });
  });

  test('createAccount explains an unknown service and a reading on an unmetered one', async () => {
    await expect(createAccount(world.db, { number: '5550002', lines: [{ service: 'NOPE', charged: '1.00' }] })).rejects.toThrow(/unknown service\(s\) NOPE/);
    await expect(createAccount(world.db, { number: '5550002', lines: [{ service: 'WASTE', charged: '1.00', previousReading: '1' }] })).rejects.toThrow(/WASTE is not metered/);
  });
});
