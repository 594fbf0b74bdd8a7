import { createHash } from 'node:crypto';
import { makeKzIban } from '../../domain/identifiers';
import { buildPain001, remittanceText } from '../../domain/pain001';
import { type PaymentListInput, type PaymentListLine, PaymentListInvariantError } from '../../domain/payment-list';
import { charLength, sanitizeText, truncateChars } from '../../domain/xml';
import { bin, paymentList } from '../support/payment-list-fixture';
import { validateWithXsd } from '../support/xmllint';


const PROVIDERS: Array<Omit<PaymentListLine, 'lineNo' | 'endToEndId' | 'amount' | 'paymentCount'>> = [
  { providerId: 'AES', providerName: 'АО «Алматыэнергосбыт»', providerBin: bin('98044000123'), iban: makeKzIban('601', '0000000000001'), bic: 'HSBKKZKX', knp: '856', kbe: '17' },
  { providerId: 'ALMATY_SU', providerName: 'ГКП «Алматы Су» на ПХВ', providerBin: bin('01114000456'), iban: makeKzIban('856', '0000000000002'), bic: 'KCJBKZKX', knp: '856', kbe: '16' },
  { providerId: 'ALTS', providerName: 'АО «Алматинские тепловые сети»', providerBin: bin('95034000789'), iban: makeKzIban('601', '0000000000003'), bic: 'HSBKKZKX', knp: '856', kbe: '16' },
  { providerId: 'QAZAQGAZ', providerName: 'АО «QazaqGaz Аймақ»', providerBin: bin('06124000321'), iban: makeKzIban('722', '0000000000004'), bic: 'CASPKZKA', knp: '856', kbe: '16' },
  { providerId: 'TARTYP', providerName: 'ТОО «Тартып»', providerBin: bin('12054000654'), iban: makeKzIban('996', '0000000000005'), bic: 'IRTYKZKA', knp: '856', kbe: '17' },
  { providerId: 'LIFT', providerName: 'ТОО «Алматылифтсервис»', providerBin: bin('19064000987'), iban: makeKzIban('601', '0000000000006'), bic: 'HSBKKZKX', knp: '856', kbe: '17' },
  { providerId: 'OSI_SAMAL2', providerName: 'ОСИ «Самал-2, дом 33»', providerBin: bin('20074000111'), iban: makeKzIban('722', '0000000000007'), bic: 'CASPKZKA', knp: '856', kbe: '18' },
  { providerId: 'KSK_ORBITA', providerName: 'КСК «Орбита-3»', providerBin: bin('21084000222'), iban: makeKzIban('856', '0000000000008'), bic: 'KCJBKZKX', knp: '856', kbe: '18' },
  { providerId: 'ALSECO_SVC', providerName: 'ТОО «Домофон-Сервис Алматы»', providerBin: bin('22094000333'), iban: makeKzIban('996', '0000000000009'), bic: 'IRTYKZKA', knp: '856', kbe: '17' },
];

const AMOUNTS = ['18452310.45', '9321004.10', '12000450.00', '4410023.77', '812330.50', '640112.00', '330415.25', '98770.00', '45150.30'];
const COUNTS = [1234, 1190, 877, 655, 1201, 410, 210, 88, 301];

function line(index: number, overrides: Partial<PaymentListLine> = {}): PaymentListLine {
  const provider = PROVIDERS[index % PROVIDERS.length]!;
  const lineNo = index + 1;
  return {
    ...provider,
    lineNo,
    endToEndId: `HSBK20261127-${String(lineNo).padStart(3, '0')}`,
    amount: AMOUNTS[index % AMOUNTS.length]!,
    paymentCount: COUNTS[index % COUNTS.length]!,
    ...overrides,
  };
}

const list = paymentList;

const realistic = () => list(PROVIDERS.map((_, i) => line(i)));
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const expectValid = (xml: string) => {
  const result = validateWithXsd(xml);
  expect(result.output).toMatch(/validates$/);
  expect(result.ok).toBe(true);
};

describe('buildPain001', () => {
  it('produces a realistic 9-provider list that validates against the pain.001.001.09 schema', () => {
    const xml = buildPain001(realistic());
    expectValid(xml);
    expect(xml.match(/<CdtTrfTxInf>/g)).toHaveLength(9);
    expect(xml.match(/<NbOfTxs>9<\/NbOfTxs>/g)).toHaveLength(2);
    // 18452310.45 + 9321004.10 + 12000450.00 + 4410023.77 + 812330.50 + 640112.00 + 330415.25 + 98770.00 + 45150.30
    expect(xml.match(/<CtrlSum>46110566.37<\/CtrlSum>/g)).toHaveLength(2);
  });

  it('writes a single-line list as exactly this document', () => {
    const input = list([line(0)]);
    expect(buildPain001(input)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">',
        '  <CstmrCdtTrfInitn>',
        '    <GrpHdr>',
        '      <MsgId>SPC-HSBK-20261127</MsgId>',
        '      <CreDtTm>2026-11-27T13:05:00Z</CreDtTm>',
        '      <NbOfTxs>1</NbOfTxs>',
        '      <CtrlSum>18452310.45</CtrlSum>',
        '      <InitgPty>',
        '        <Nm>АО «ALSECO»</Nm>',
        '        <Id>',
        '          <OrgId>',
        '            <Othr>',
        `              <Id>${input.initiatingParty.bin}</Id>`,
        '              <SchmeNm>',
        '                <Prtry>BIN</Prtry>',
        '              </SchmeNm>',
        '            </Othr>',
        '          </OrgId>',
        '        </Id>',
        '      </InitgPty>',
        '    </GrpHdr>',
        '    <PmtInf>',
        '      <PmtInfId>HSBK:2026-11-27</PmtInfId>',
        '      <PmtMtd>TRF</PmtMtd>',
        '      <BtchBookg>true</BtchBookg>',
        '      <NbOfTxs>1</NbOfTxs>',
        '      <CtrlSum>18452310.45</CtrlSum>',
        '      <PmtTpInf>',
        '        <InstrPrty>NORM</InstrPrty>',
        '        <CtgyPurp>',
        '          <Cd>SUPP</Cd>',
        '        </CtgyPurp>',
        '      </PmtTpInf>',
        '      <ReqdExctnDt>',
        '        <Dt>2026-11-30</Dt>',
        '      </ReqdExctnDt>',
        '      <Dbtr>',
        '        <Nm>АО «Народный Банк Казахстана»</Nm>',
        '        <Id>',
        '          <OrgId>',
        '            <Othr>',
        `              <Id>${input.debtor.bin}</Id>`,
        '              <SchmeNm>',
        '                <Prtry>BIN</Prtry>',
        '              </SchmeNm>',
        '            </Othr>',
        '          </OrgId>',
        '        </Id>',
        '      </Dbtr>',
        '      <DbtrAcct>',
        '        <Id>',
        `          <IBAN>${input.debtor.iban}</IBAN>`,
        '        </Id>',
        '      </DbtrAcct>',
        '      <DbtrAgt>',
        '        <FinInstnId>',
        '          <BICFI>HSBKKZKX</BICFI>',
        '        </FinInstnId>',
        '      </DbtrAgt>',
        '      <ChrgBr>DEBT</ChrgBr>',
        '      <CdtTrfTxInf>',
        '        <PmtId>',
        '          <InstrId>HSBK20261127-001</InstrId>',
        '          <EndToEndId>HSBK20261127-001</EndToEndId>',
        '        </PmtId>',
        '        <Amt>',
        '          <InstdAmt Ccy="KZT">18452310.45</InstdAmt>',
        '        </Amt>',
        '        <CdtrAgt>',
        '          <FinInstnId>',
        '            <BICFI>HSBKKZKX</BICFI>',
        '          </FinInstnId>',
        '        </CdtrAgt>',
        '        <Cdtr>',
        '          <Nm>АО «Алматыэнергосбыт»</Nm>',
        '          <Id>',
        '            <OrgId>',
        '              <Othr>',
        `                <Id>${PROVIDERS[0]!.providerBin}</Id>`,
        '                <SchmeNm>',
        '                  <Prtry>BIN</Prtry>',
        '                </SchmeNm>',
        '              </Othr>',
        '            </OrgId>',
        '          </Id>',
        '        </Cdtr>',
        '        <CdtrAcct>',
        '          <Id>',
        `            <IBAN>${PROVIDERS[0]!.iban}</IBAN>`,
        '          </Id>',
        '        </CdtrAcct>',
        '        <Purp>',
        '          <Prtry>856</Prtry>',
        '        </Purp>',
        '        <RgltryRptg>',
        '          <DbtCdtRptgInd>BOTH</DbtCdtRptgInd>',
        '          <Authrty>',
        '            <Nm>National Bank of Kazakhstan</Nm>',
        '            <Ctry>KZ</Ctry>',
        '          </Authrty>',
        '          <Dtls>',
        '            <Tp>KNP</Tp>',
        '            <Cd>856</Cd>',
        '          </Dtls>',
        '          <Dtls>',
        '            <Tp>KBE</Tp>',
        '            <Cd>17</Cd>',
        '          </Dtls>',
        '        </RgltryRptg>',
        '        <RmtInf>',
        '          <Ustrd>Коммунальные платежи через ЕРЦ АО «ALSECO» за 27.11.2026, поставщик АО «Алматыэнергосбыт», платежей: 1234</Ustrd>',
        '        </RmtInf>',
        '      </CdtTrfTxInf>',
        '    </PmtInf>',
        '  </CstmrCdtTrfInitn>',
        '</Document>',
        '',
      ].join('\n'),
    );
    expectValid(buildPain001(input));
  });

  it('escapes & < > " \' and keeps Kazakh letters as they are', () => {
    const input = list([
      line(0, { providerName: 'ТОО "Су & Жылу" <Әғқңөұүһі> \'ӘҒҚҢӨҰҮҺІ\'' }),
      line(1, { providerName: 'ОСИ «Көктем-3» & КСК <ұйым>' }),
    ]);
    input.initiatingParty.name = 'АО «ALSECO» & Co <ЕРЦ>';
    const xml = buildPain001(input);
    expectValid(xml);
    expect(xml).toContain('<Nm>ТОО &quot;Су &amp; Жылу&quot; &lt;Әғқңөұүһі&gt; &apos;ӘҒҚҢӨҰҮҺІ&apos;</Nm>');
    expect(xml).toContain('<Nm>АО «ALSECO» &amp; Co &lt;ЕРЦ&gt;</Nm>');
    expect(xml).toContain('поставщик ОСИ «Көктем-3» &amp; КСК &lt;ұйым&gt;, платежей: 1190</Ustrd>');
  });

  it('strips control characters and folds line breaks in names', () => {
    const xml = buildPain001(list([line(0, { providerName: 'ТОО\u0000 «Тар\u0007тып»\r\n\tвывоз   мусора\u009F' })]));
    expectValid(xml);
    expect(xml).toContain('<Nm>ТОО «Тартып» вывоз мусора</Nm>');
  });

  it('cuts a very long provider name to 140 characters and keeps date and count in the remittance text', () => {
    const longName = `ТОО «${'Құрылыс-Сервис '.repeat(30)}»`;
    const input = list([line(0, { providerName: longName }), line(1)]);
    input.initiatingParty.name = `АО «ALSECO» ${'Единый расчётный центр '.repeat(10)}`;
    const xml = buildPain001(input);
    expectValid(xml);
    const names = [...xml.matchAll(/<Nm>([^<]*)<\/Nm>/g)].map((m) => m[1]!);
    for (const n of names) expect(charLength(n)).toBeLessThanOrEqual(140);
    expect(names).toContain(truncateChars(sanitizeText(longName), 140));
    const ustrd = [...xml.matchAll(/<Ustrd>([^<]*)<\/Ustrd>/g)].map((m) => m[1]!);
    for (const u of ustrd) expect(charLength(u.replace(/&[a-z]+;/g, '_'))).toBeLessThanOrEqual(140);
  });

  it('shortens the provider name, not the date or the payment count, when the remittance text is too long', () => {
    const input = list([line(0, { providerName: `АО «${'Алматыэнергосбыт '.repeat(10)}»`, paymentCount: 987654 })]);
    const text = remittanceText(input, input.lines[0]!);
    expect(charLength(text)).toBe(140);
    expect(text.startsWith('Коммунальные платежи через ЕРЦ АО «ALSECO» за 27.11.2026, поставщик АО «Алматыэнергосбыт')).toBe(true);
    expect(text.endsWith(', платежей: 987654')).toBe(true);
  });

  it('never cuts a surrogate pair or a letter from its combining mark', () => {
    const withEmoji = `${'Б'.repeat(139)}😀tail`;
    expect(truncateChars(withEmoji, 140)).toBe(`${'Б'.repeat(139)}😀`);
    const withCombining = `${'А'.repeat(139)}е\u0301x`;
    expect(truncateChars(withCombining, 140)).toBe('А'.repeat(139));
    expect(sanitizeText('a\uD800b\uDC00c')).toBe('abc');
    const xml = buildPain001(list([line(0, { providerName: withEmoji }), line(1, { providerName: withCombining })]));
    expectValid(xml);
  });

  it('states NbOfTxs and an exact CtrlSum: 0.01 + 0.02 + ... + 0.20 = 2.10', () => {
    const lines = Array.from({ length: 20 }, (_, i) => line(i, { providerId: `P${i + 1}`, iban: makeKzIban('601', `AAAA${String(i + 1).padStart(9, '0')}`), amount: `0.${String(i + 1).padStart(2, '0')}` }));
    const xml = buildPain001(list(lines));
    expectValid(xml);
    expect(xml.match(/<NbOfTxs>20<\/NbOfTxs>/g)).toHaveLength(2);
    expect(xml.match(/<CtrlSum>2.10<\/CtrlSum>/g)).toHaveLength(2);
  });

  it('sums 0.10 + 0.20 to exactly 0.30', () => {
    const xml = buildPain001(list([line(0, { amount: '0.10' }), line(1, { amount: '0.20' })]));
    expect(xml.match(/<CtrlSum>0.30<\/CtrlSum>/g)).toHaveLength(2);
  });

  it('regenerates byte-identical output, whatever the order of the input lines', () => {
    const input = realistic();
    const first = buildPain001(input);
    const shuffled = { ...input, lines: [...input.lines].reverse() };
    expect(sha256(buildPain001(input))).toBe(sha256(first));
    expect(sha256(buildPain001(shuffled))).toBe(sha256(first));
    expect(input.lines.map((l) => l.lineNo)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  describe('rejects a list that breaks an invariant', () => {
    const cases: Array<[string, () => PaymentListInput, RegExp]> = [
      ['no lines', () => list([]), /lines non-empty/],
      ['a provider IBAN with a wrong check digit', () => list([line(0, { iban: PROVIDERS[0]!.iban.replace(/^KZ(\d\d)/, (_, d: string) => `KZ${String((Number(d) + 1) % 100).padStart(2, '0')}`) })]), /provider IBAN valid/],
      ['a duplicate EndToEndId', () => list([line(0), line(1, { endToEndId: 'HSBK20261127-001' })]), /EndToEndId unique/],
      ['an amount with 3 decimals', () => list([line(0, { amount: '100.005' })]), /amount is whole tiyn/],
      ['an amount with 1 decimal', () => list([line(0, { amount: '100.5' })]), /amount is whole tiyn/],
      ['a zero amount', () => list([line(0, { amount: '0.00' })]), /amount positive/],
      ['an EndToEndId over 35 characters', () => list([line(0, { endToEndId: 'X'.repeat(36) })]), /EndToEndId is an ISO id/],
      ['a bad creditor BIC', () => list([line(0, { bic: 'HSBKRUMM' })]), /provider BIC valid/],
      ['a bad debtor IBAN', () => list([line(0)], { debtor: { name: 'Bank', bin: bin('05014000555'), iban: 'KZ00601SETTLEMENT001', bic: 'HSBKKZKX' } }), /debtor IBAN valid/],
      ['a bad provider BIN', () => list([line(0, { providerBin: '123456789012' })]), /provider BIN valid/],
      ['a MsgId over 35 characters', () => list([line(0)], { msgId: 'M'.repeat(36) }), /MsgId is an ISO id/],
      ['a provider on two lines', () => list([line(0), line(1, { providerId: 'AES' })]), /one line per provider/],
      ['a duplicate line number', () => list([line(0), line(1, { lineNo: 1 })]), /lineNo unique/],
      ['a creation time without a zone', () => list([line(0)], { createdAt: '2026-11-27T13:05:00' }), /createdAt is an ISO instant/],
      ['a KNP of 2 digits', () => list([line(0, { knp: '89' })]), /KNP is 3 digits/],
    ];
    it.each(cases)('%s', (_name, make, invariant) => {
      const input = make();
      expect(() => buildPain001(input)).toThrow(PaymentListInvariantError);
      expect(() => buildPain001(input)).toThrow(invariant);
    });
  });

  it('has a validator that does reject an invalid message', () => {
    const broken = buildPain001(realistic()).replace(/<MsgId>[^<]*<\/MsgId>\n/, '');
    const result = validateWithXsd(broken);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/fails to validate/);
  });
});
