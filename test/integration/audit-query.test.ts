// The pure parts of the operators' tools (no server needed): visibility queries, the canonical
// JSON of a history, the reader of pain.001 totals, and the choice of the demo's day.
import fs from 'node:fs';
import path from 'node:path';
import { buildVisibilityQuery, historyFromJson, historyToJson } from '../../audit';
import { readPain001Totals } from '../../audit/payment-list-files';
import { chooseDemoDate } from '../../cli/commands/demo';
import { almatyToUtc, NO_OVERRIDES } from '../../domain/calendar';

describe('buildVisibilityQuery', () => {
  it('joins the filters in a fixed order, each on its search attribute', () => {
    expect(buildVisibilityQuery({})).toBe(`WorkflowType IN ('paymentWorkflow', 'settlementWorkflow', 'registerWorkflow')`);
    expect(buildVisibilityQuery({ status: 'settled', date: '2026-11-27', type: 'settlement', bank: 'HSBK' })).toBe(
      `WorkflowType = 'settlementWorkflow' AND BankCode = 'HSBK' AND BusinessDate = '2026-11-27' AND SettlementStatus = 'settled'`,
    );
    expect(buildVisibilityQuery({ type: 'payment', from: '2026-11-01', to: '2026-11-30', status: 'rejected', executionStatus: 'Failed' })).toBe(
      `WorkflowType = 'paymentWorkflow' AND BusinessDate >= '2026-11-01' AND BusinessDate <= '2026-11-30' AND PaymentStatus = 'rejected' AND ExecutionStatus = 'Failed'`,
    );
    expect(buildVisibilityQuery({ workflowId: 'payment:HSBK:ref-1/2' })).toBe(`WorkflowId = 'payment:HSBK:ref-1/2'`);
  });

  it('refuses values that could break out of the query, naming the option', () => {
    expect(() => buildVisibilityQuery({ bank: "HSBK' OR 1=1" })).toThrow('--bank must be a 4-letter bank code such as HSBK');
    expect(() => buildVisibilityQuery({ workflowId: "x' OR WorkflowId != 'y" })).toThrow('--workflow-id must not contain quotes, backslashes or spaces');
    expect(() => buildVisibilityQuery({ status: "settled' OR 'a" })).toThrow('--status must be a lower-case status');
    expect(() => buildVisibilityQuery({ date: '2026-13-01' })).toThrow('--date must be a date as YYYY-MM-DD');
    expect(() => buildVisibilityQuery({ from: '2026-11-30', to: '2026-11-01' })).toThrow('--from 2026-11-30 is after --to 2026-11-01');
    expect(() => buildVisibilityQuery({ type: 'register', status: 'done' })).toThrow('registers have no business status attribute');
  });
});

describe('history JSON', () => {
  it('reads a committed history and writes it back with the map keys in a fixed order, whatever order they came in', () => {
    const file = path.resolve(__dirname, '../histories/payment/accepted-closed.temporal-cli.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const once = historyToJson(historyFromJson(json));
    expect(JSON.parse(once)).toEqual(json);
    const started = json.events[0].workflowExecutionStartedEventAttributes;
    const fields = started.searchAttributes.indexedFields;
    started.searchAttributes.indexedFields = Object.fromEntries(Object.entries(fields).reverse());
    expect(historyToJson(historyFromJson(json))).toBe(once);
  });

  it('accepts the PascalCase enum names older tools wrote', () => {
    const history = historyFromJson({ events: [{ eventId: '1', eventType: 'WorkflowExecutionStarted', workflowExecutionStartedEventAttributes: { workflowType: { name: 'x' }, taskQueue: { name: 'q', kind: 'Normal' } } }] });
    expect(history.events?.[0]?.eventType).toBe(1);
  });
});

describe('readPain001Totals', () => {
  it('reads the header totals and every transfer of a payment list', () => {
    const xml = '<Document><CstmrCdtTrfInitn><GrpHdr><MsgId>M</MsgId><NbOfTxs>2</NbOfTxs><CtrlSum>15.50</CtrlSum></GrpHdr><PmtInf>'
      + '<CdtTrfTxInf><PmtId><InstrId>E1</InstrId><EndToEndId>E1</EndToEndId></PmtId><Amt><InstdAmt Ccy="KZT">10.00</InstdAmt></Amt></CdtTrfTxInf>'
      + '<CdtTrfTxInf><PmtId><InstrId>E2</InstrId><EndToEndId>E2</EndToEndId></PmtId><Amt><InstdAmt Ccy="KZT">5.50</InstdAmt></Amt></CdtTrfTxInf>'
      + '</PmtInf></CstmrCdtTrfInitn></Document>';
    expect(readPain001Totals(xml)).toEqual({
      nbOfTxs: 2, ctrlSum: '15.50', paymentInfos: [{ nbOfTxs: null, ctrlSum: null }], transfers: [{ endToEndId: 'E1', amount: '10.00' }, { endToEndId: 'E2', amount: '5.50' }],
    });
  });

  it('reads each PmtInf\'s own totals and the creditor IBANs', () => {
    const xml = '<Document><CstmrCdtTrfInitn><GrpHdr><NbOfTxs>1</NbOfTxs><CtrlSum>10.00</CtrlSum></GrpHdr><PmtInf><PmtInfId>P</PmtInfId><NbOfTxs>1</NbOfTxs><CtrlSum>9.00</CtrlSum>'
      + '<CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId><Amt><InstdAmt Ccy="KZT">10.00</InstdAmt></Amt><CdtrAcct><Id><IBAN>KZ976010002112864317</IBAN></Id></CdtrAcct></CdtTrfTxInf>'
      + '</PmtInf></CstmrCdtTrfInitn></Document>';
    expect(readPain001Totals(xml)).toEqual({
      nbOfTxs: 1, ctrlSum: '10.00', paymentInfos: [{ nbOfTxs: 1, ctrlSum: '9.00' }], transfers: [{ endToEndId: 'E1', amount: '10.00', iban: 'KZ976010002112864317' }],
    });
  });
});

describe('chooseDemoDate', () => {
  const banks = [{ code: 'HSBK', cutoff_local: '18:00' }, { code: 'TSES', cutoff_local: '17:00' }];
  it('simulates today while every cut-off is more than half an hour away', () => {
    expect(chooseDemoDate(almatyToUtc('2026-11-26', '16:00'), banks, NO_OVERRIDES, new Set())).toBe('2026-11-26');
  });
  it('takes the previous business day once the first cut-off is near, and skips days already closed and weekends', () => {
    expect(chooseDemoDate(almatyToUtc('2026-11-26', '16:45'), banks, NO_OVERRIDES, new Set())).toBe('2026-11-25');
    expect(chooseDemoDate(almatyToUtc('2026-11-30', '09:00'), banks, NO_OVERRIDES, new Set(['2026-11-30', '2026-11-27']))).toBe('2026-11-26');
  });
});
