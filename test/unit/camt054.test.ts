import path from 'node:path';
import { makeKzIban } from '../../domain/identifiers';
import { buildCamt054 } from '../../domain/camt054';
import { buildProviderRegisterCsv } from '../../domain/provider-register-csv';
import { type ProviderRegisterInput, ProviderRegisterInvariantError } from '../../domain/provider-register';
import { validateWithXsd } from '../support/xmllint';

const CAMT054_XSD_PATH = path.resolve(__dirname, '../../schemas/iso20022/camt.054.001.08.xsd');

function register(overrides: Partial<ProviderRegisterInput> = {}): ProviderRegisterInput {
  return {
    registerId: 'ALMATY_SU:2026-12-07:v1',
    providerId: 'ALMATY_SU',
    providerName: 'ГКП «Алматы Су» & <партнёры>',
    providerIban: makeKzIban('722', '0000000000002'),
    businessDate: '2026-12-07',
    createdAt: '2026-12-07T19:00:00Z',
    banks: [
      {
        bankCode: 'CASP', bankName: 'Kaspi Bank', bankBic: 'CASPKZKA', settlementId: 'CASP:2026-12-07', endToEndId: 'CASP20261207-001K7', executionDate: '2026-12-08', listAmount: '650.00',
        lines: [
          { kind: 'payment', account: '1000000001', service: 'CWATER', amount: '150.00', bankRef: 'r'.repeat(64), channel: 'online', paidAt: '2026-12-07T10:00:00Z', reading: '215.500' },
          { kind: 'payment', account: '1000000001', service: 'SEWER', amount: '200.00', bankRef: 'c-2', channel: 'kiosk', paidAt: '2026-12-07T11:00:00Z', reading: null },
          { kind: 'adjustment', amount: '300.00', correctionRef: 'K7', bankRef: 'old-1' },
        ],
      },
      {
        bankCode: 'HSBK', bankName: 'Halyk Bank', bankBic: 'HSBKKZKX', settlementId: 'HSBK:2026-12-07', endToEndId: 'HSBK20261207-002', executionDate: '2026-12-08', listAmount: '100.00',
        lines: [
          { kind: 'payment', account: '1000000001', service: 'CWATER', amount: '150.00', bankRef: '=h-1', channel: 'cash_desk', paidAt: '2026-12-07T09:00:00Z', reading: null },
          { kind: 'adjustment', amount: '-50.00', correctionRef: 'K9', bankRef: 'old-2' },
        ],
      },
    ],
    ...overrides,
  };
}

describe('provider register camt.054', () => {
  it('validates against the official camt.054.001.08 schema', () => {
    const xml = buildCamt054(register(), 1);
    expect(validateWithXsd(xml, CAMT054_XSD_PATH)).toEqual({ ok: true, output: expect.stringContaining('validates') });
    expect(xml).toContain('<MsgId>SPCPR-20261207-v1</MsgId>');
    expect(xml).toContain(`<AddtlTxInf>bankRef=${'r'.repeat(64)}</AddtlTxInf>`);
    expect(xml).toContain('<TxId>c-2</TxId>');
    expect(xml).toContain('<CdtDbtInd>DBIT</CdtDbtInd>');
    expect(xml.match(/<Ntry>/g)).toHaveLength(2);
    expect(buildCamt054(register(), 1)).toBe(xml);
  });

  it('refuses a register whose lines do not sum to the bank list line, to the tiyn', () => {
    const bad = register();
    (bad.banks[1] as ProviderRegisterInput['banks'][number]).listAmount = '100.01';
    expect(() => buildCamt054(bad, 1)).toThrow(ProviderRegisterInvariantError);
    expect(() => buildProviderRegisterCsv(bad)).toThrow(ProviderRegisterInvariantError);
  });

  it('writes the CSV with per-bank totals, a grand total and guarded formula starts', () => {
    const csv = buildProviderRegisterCsv(register());
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe('register_id,business_date,bank_code,end_to_end_id,kind,account,service,amount,bank_ref,channel,paid_at,reading,correction_ref');
    expect(rows).toContain('ALMATY_SU:2026-12-07:v1,2026-12-07,CASP,CASP20261207-001K7,BANK_TOTAL,,,650.00,,,,,');
    expect(rows).toContain("ALMATY_SU:2026-12-07:v1,2026-12-07,HSBK,HSBK20261207-002,payment,1000000001,CWATER,150.00,'=h-1,cash_desk,2026-12-07T09:00:00Z,,");
    expect(rows).toContain('ALMATY_SU:2026-12-07:v1,2026-12-07,HSBK,HSBK20261207-002,adjustment,,,-50.00,old-2,,,,K9');
    expect(rows[rows.length - 2]).toBe('ALMATY_SU:2026-12-07:v1,2026-12-07,,,TOTAL,,,750.00,,,,,');
  });
});
