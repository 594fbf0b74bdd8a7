// The day-register format (docs/registers.md): all-or-nothing parsing with line numbers, and the
// pure helpers around it.
import { defaultPaidAt, parseRegisterCsv, registerContentSha256, REGISTER_ERRORS_LISTED_MAX } from '../../domain/register-csv';
import { parseIsoInstant } from '../../domain/instant';
import { amountRu, escapeHtml, periodRu } from '../../api/invoice-html';

const header = '#register;business_date=2026-11-27;count=3;total=4500.00';

describe('parseRegisterCsv', () => {
  it('reads the documented example', () => {
    const parsed = parseRegisterCsv(
      [
        header,
        'bank_ref;account;amount;lines;readings;paid_at;pile_no',
        'HSBK-0001;1000000001;1500.00;;;2026-11-27T10:15:00+05:00;P1',
        'HSBK-0002;1000000002;2000;ELEC:1500.00|CWATER:500;ELEC:12345.6;2026-11-27T11:02:00+05:00;P1',
        'HSBK-0003;1000000003;1000.00;;CWATER:210.5|HWATER:95.25;;P2',
        '',
      ].join('\r\n'),
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.header).toEqual({ businessDate: '2026-11-27', declaredCount: 3, declaredTotal: '4500.00' });
    expect(parsed.rows).toEqual([
      { lineNo: 3, bankRef: 'HSBK-0001', account: '1000000001', amount: '1500.00', paidAt: '2026-11-27T10:15:00+05:00', pileNo: 'P1' },
      {
        lineNo: 4, bankRef: 'HSBK-0002', account: '1000000002', amount: '2000.00', paidAt: '2026-11-27T11:02:00+05:00', pileNo: 'P1',
        lines: [{ service: 'ELEC', amount: '1500.00' }, { service: 'CWATER', amount: '500.00' }],
        readings: [{ service: 'ELEC', value: '12345.6' }],
      },
      { lineNo: 5, bankRef: 'HSBK-0003', account: '1000000003', amount: '1000.00', pileNo: 'P2', readings: [{ service: 'CWATER', value: '210.5' }, { service: 'HWATER', value: '95.25' }] },
    ]);
  });

  it('takes the columns in any order and ignores a byte-order mark', () => {
    const parsed = parseRegisterCsv(`\uFEFF#register;business_date=2026-11-27;count=1;total=10\namount;account;bank_ref\n10.00;1000000001;R1\n`);
    expect(parsed.ok && parsed.rows).toEqual([{ lineNo: 3, bankRef: 'R1', account: '1000000001', amount: '10.00' }]);
  });

  it('accepts an empty register that declares zero rows', () => {
    const parsed = parseRegisterCsv('#register;business_date=2026-11-27;count=0;total=0.00\nbank_ref;account;amount\n');
    expect(parsed.ok && parsed.rows).toEqual([]);
  });

  it('names every malformed line and refuses the whole file', () => {
    const parsed = parseRegisterCsv(
      [
        '#register;business_date=2026-11-27;count=4;total=400.00',
        'bank_ref;account;amount;lines',
        'R1;1000000001;100.00;',
        'R2;10000X0001;100.00;',
        'R1;1000000001;100.00;',
        'R4;1000000001;1.500,00;ELEC=5',
      ].join('\n'),
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([
      { line: 4, message: 'account "10000X0001" is not a personal account number (6-16 digits)' },
      { line: 5, message: 'bank_ref R1 is already used on line 3: every payment needs its own reference' },
      { line: 6, message: 'amount: "1.500,00" is not an amount (digits, "." or "," and up to two fraction digits, e.g. 1250.50)' },
    ]);
  });

  it('checks the declared count and total against the rows', () => {
    const rows = 'bank_ref;account;amount\nR1;1000000001;100.00\nR2;1000000001;0.01';
    const count = parseRegisterCsv(`#register;business_date=2026-11-27;count=3;total=100.01\n${rows}`);
    expect(!count.ok && count.errors).toEqual([{ line: 1, message: 'the header declares count=3 but the file has 2 payment rows' }]);
    const total = parseRegisterCsv(`#register;business_date=2026-11-27;count=2;total=100.00\n${rows}`);
    expect(!total.ok && total.errors).toEqual([{ line: 1, message: 'the header declares total=100.00 but the rows sum to 100.01' }]);
  });

  it.each([
    ['#reg;business_date=2026-11-27;count=1;total=1', 'must start with'],
    ['#register;business_date=2026-02-30;count=1;total=1', 'is not a date'],
    ['#register;business_date=2026-11-27;count=one;total=1', 'is not a whole number'],
    ['#register;business_date=2026-11-27;count=1', 'must declare business_date, count and total'],
    ['#register;business_date=2026-11-27;count=1;total=1;extra=2', 'unknown header field'],
  ])('refuses the header %j', (line, message) => {
    const parsed = parseRegisterCsv(`${line}\nbank_ref;account;amount\nR1;1000000001;1.00`);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors[0]?.line).toBe(1);
    expect(!parsed.ok && parsed.errors[0]?.message).toContain(message);
  });

  it.each([
    ['bank_ref;account;amount;colour', 'unknown column(s) colour'],
    ['bank_ref;amount', 'missing column(s) account'],
    ['bank_ref;account;amount;amount', 'column amount appears twice'],
  ])('refuses the column header %j', (columns, message) => {
    const parsed = parseRegisterCsv(`${header}\n${columns}\n`);
    expect(!parsed.ok && parsed.errors[0]).toEqual({ line: 2, message: expect.stringContaining(message) });
  });

  it.each([
    ['R1;1000000001;-1.00', 'amount'],
    ['R1;1000000001;0', 'greater than zero'],
    ['R1;1000000001;1.001', 'amount'],
    ['R 1;1000000001;1.00', 'bank_ref'],
    ['R1;1000000001;1.00;extra', '4 fields'],
    ['"R1;1000000001;1.00', 'not closed'],
    ['R"1";1000000001;1.00', 'quote inside'],
    ['"R1"x;1000000001;1.00', 'after the closing quote'],
    ['R1;1000000001;1,001', 'amount'],
  ])('refuses the row %j', (row, message) => {
    const parsed = parseRegisterCsv(`#register;business_date=2026-11-27;count=1;total=1.00\nbank_ref;account;amount\n${row}`);
    expect(!parsed.ok && parsed.errors[0]).toEqual({ line: 3, message: expect.stringContaining(message) });
  });

  it('refuses a paid_at without a zone or on an impossible date', () => {
    for (const paidAt of ['2026-11-27T10:00:00', '2026-11-31T10:00:00+05:00', 'today']) {
      const parsed = parseRegisterCsv(`#register;business_date=2026-11-27;count=1;total=1.00\nbank_ref;account;amount;paid_at\nR1;1000000001;1.00;${paidAt}`);
      expect(!parsed.ok && parsed.errors[0]?.message).toContain('paid_at');
    }
  });

  it('lists at most REGISTER_ERRORS_LISTED_MAX errors but counts them all', () => {
    const rows = Array.from({ length: 80 }, (_, i) => `R${i};bad;1.00`).join('\n');
    const parsed = parseRegisterCsv(`#register;business_date=2026-11-27;count=80;total=80.00\nbank_ref;account;amount\n${rows}`);
    expect(!parsed.ok && parsed.errors.length).toBe(REGISTER_ERRORS_LISTED_MAX);
    expect(!parsed.ok && parsed.errorCount).toBe(80);
  });

  it('dates a row without paid_at at the start of the business date in Almaty', () => {
    expect(defaultPaidAt('2026-11-27')).toBe('2026-11-26T19:00:00.000Z');
  });
});

describe('what a Russian-locale spreadsheet writes', () => {
  // Saved by a spreadsheet: BOM, CRLF, the #register line padded to the table's width, quoted
  // fields, decimal commas, digit groups with a no-break space, trailing empty cells dropped.
  const spreadsheet = [
    '\uFEFF#register;business_date=2026-11-27;count=3;total=1\u00a0502\u00a0100,50;;;',
    'bank_ref;account;amount;lines;readings;paid_at;pile_no',
    '"HSBK-0001";1000000001;1500000,00;;;"2026-11-27T10:15:00+05:00";P1',
    'HSBK-0002;"1000000002";"2\u00a0000,50";"ELEC:1500,50|CWATER:500";ELEC:12345,60;;',
    'HSBK-0003;1000000003;"100";;',
    ';;;;;;',
    '',
  ].join('\r\n');
  const plain = [
    '#register;business_date=2026-11-27;count=3;total=1502100.50',
    'bank_ref;account;amount;lines;readings;paid_at;pile_no',
    'HSBK-0001;1000000001;1500000.00;;;2026-11-27T05:15:00Z;P1',
    'HSBK-0002;1000000002;2000.50;ELEC:1500.50|CWATER:500.00;ELEC:12345.6;;',
    'HSBK-0003;1000000003;100.00;;;;',
  ].join('\n');

  it('reads it as the same register as the plain file', () => {
    const parsed = parseRegisterCsv(spreadsheet);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.header).toEqual({ businessDate: '2026-11-27', declaredCount: 3, declaredTotal: '1502100.50' });
    expect(parsed.rows[1]).toEqual({
      lineNo: 4, bankRef: 'HSBK-0002', account: '1000000002', amount: '2000.50',
      lines: [{ service: 'ELEC', amount: '1500.50' }, { service: 'CWATER', amount: '500.00' }], readings: [{ service: 'ELEC', value: '12345.60' }],
    });
    const other = parseRegisterCsv(plain);
    if (!other.ok) throw new Error(JSON.stringify(other.errors));
    expect(registerContentSha256(parsed.header, parsed.rows)).toBe(registerContentSha256(other.header, other.rows));
  });

  it('reads a #register line typed into one cell and quoted by the spreadsheet', () => {
    const parsed = parseRegisterCsv('"#register;business_date=2026-11-27;count=1;total=1,00";;\r\nbank_ref;account;amount\r\nR1;1000000001;1,00\r\n');
    expect(parsed.ok && parsed.header.declaredTotal).toBe('1.00');
  });

  it('hashes other content differently', () => {
    const a = parseRegisterCsv(plain);
    const b = parseRegisterCsv(plain.replace('HSBK-0003;1000000003;100.00', 'HSBK-0003;1000000003;100.01').replace('1502100.50', '1502100.51'));
    if (!a.ok || !b.ok) throw new Error('parse');
    expect(registerContentSha256(a.header, a.rows)).not.toBe(registerContentSha256(b.header, b.rows));
  });

  it('declares a total above the per-payment limit: the limit is per payment, not per file', () => {
    const rows = ['R1;1000000001;100000000.00', 'R2;1000000002;100000000.00', 'R3;1000000003;0.01'].join('\n');
    const parsed = parseRegisterCsv(`#register;business_date=2026-11-27;count=3;total=200000000.01\nbank_ref;account;amount\n${rows}`);
    expect(parsed.ok && parsed.header.declaredTotal).toBe('200000000.01');
    const over = parseRegisterCsv('#register;business_date=2026-11-27;count=1;total=100000000.01\nbank_ref;account;amount\nR1;1000000001;100000000.01');
    expect(!over.ok && over.errors[0]?.message).toContain('above the limit of 100000000.00');
  });

  it('repeats at most a short piece of a huge field in its message', () => {
    const parsed = parseRegisterCsv(`#register;business_date=2026-11-27;count=1;total=1.00\nbank_ref;account;amount\n${'R'.repeat(1 << 20)};1000000001;1.00`);
    expect(!parsed.ok && parsed.errors[0]?.message.length).toBeLessThan(300);
  });
});

describe('helpers', () => {
  it('parses ISO instants strictly', () => {
    expect(parseIsoInstant('2026-11-27T10:15:00+05:00')?.toISOString()).toBe('2026-11-27T05:15:00.000Z');
    expect(parseIsoInstant('2026-11-27T10:15Z')?.toISOString()).toBe('2026-11-27T10:15:00.000Z');
    for (const bad of ['2026-02-29T10:00:00Z', '2026-11-27T24:00:00Z', '2026-11-27 10:00:00Z', '2026-11-27T10:00:00', '1e12']) expect(parseIsoInstant(bad)).toBeNull();
  });

  it('prints amounts and periods as the Russian invoice does, and escapes HTML', () => {
    expect(amountRu('1234567.50')).toBe('1\u00a0234\u00a0567,50');
    expect(amountRu('-120.00')).toBe('−120,00');
    expect(periodRu('2026-11')).toBe('ноябрь 2026');
    expect(escapeHtml('<b>"Ы" & \'x\'</b>')).toBe('&lt;b&gt;&quot;Ы&quot; &amp; &#39;x&#39;&lt;/b&gt;');
  });
});
