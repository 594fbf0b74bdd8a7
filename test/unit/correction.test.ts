// The pure rules of corrections: provider deltas and the netting of adjustments into a list.
import { lineEndToEndId, netAdjustments, providerDeltas, sameSplit } from '../../domain/correction';
import { adjustmentText, remittanceText } from '../../domain/pain001';
import type { PaymentListInput, PaymentListLine } from '../../domain/payment-list';

const a = (service: string, provider: string, amount: string) => ({ service, provider, amount });

describe('provider deltas of a correction', () => {
  it('gives each provider new minus old, netted over its services, zeros left out', () => {
    const before = [a('ELEC', 'AES', '300.00'), a('CWATER', 'SU', '100.00'), a('SEWER', 'SU', '50.00')];
    const after = [a('CWATER', 'SU', '450.00')];
    expect(providerDeltas(before, after).map((d) => [d.provider, d.amount.toFixed(2)])).toEqual([['AES', '-300.00'], ['SU', '300.00']]);
    expect(providerDeltas(before, [a('GAS', 'AES', '300.00'), a('SEWER', 'SU', '150.00')])).toEqual([]);
  });

  it('takes everything back from every provider on a refund', () => {
    expect(providerDeltas([a('ELEC', 'AES', '300.00'), a('SEWER', 'SU', '150.00')], []).map((d) => d.amount.toFixed(2))).toEqual(['-300.00', '-150.00']);
  });

  it('compares splits by service and amount, not by order', () => {
    expect(sameSplit([a('A', 'P', '1.00'), a('B', 'P', '2.00')], [a('B', 'P', '2.0'), a('A', 'P', '1')])).toBe(true);
    expect(sameSplit([a('A', 'P', '1.00')], [a('A', 'P', '1.01')])).toBe(false);
  });
});

describe('netting adjustments into the next list', () => {
  const day = [{ providerId: 'AES', amount: '600.00', paymentCount: 2 }, { providerId: 'SU', amount: '300.00', paymentCount: 1 }];

  it('nets a provider\'s adjustments into its line and adds a line for a provider paid only by adjustments', () => {
    const r = netAdjustments(day, [
      { id: '1', providerId: 'AES', amount: '-100.00', ref: 'K1' },
      { id: '2', providerId: 'SU', amount: '100.00', ref: 'K1' },
      { id: '3', providerId: 'WASTE', amount: '25.50', ref: 'K2' },
    ]);
    expect(r.lines).toEqual([
      { providerId: 'AES', amount: '500.00', paymentCount: 2, adjustmentAmount: '-100.00', adjustmentRefs: ['K1'] },
      { providerId: 'SU', amount: '400.00', paymentCount: 1, adjustmentAmount: '100.00', adjustmentRefs: ['K1'] },
      { providerId: 'WASTE', amount: '25.50', paymentCount: 0, adjustmentAmount: '25.50', adjustmentRefs: ['K2'] },
    ]);
    expect(r.carried).toEqual([]);
  });

  it('carries forward all adjustments of a provider whose net would go negative, never a negative transfer', () => {
    const r = netAdjustments(day, [{ id: '1', providerId: 'AES', amount: '-300.00', ref: 'K1' }, { id: '2', providerId: 'AES', amount: '-400.00', ref: 'K2' }, { id: '3', providerId: 'GAS', amount: '-5.00', ref: 'K3' }]);
    expect(r.lines.map((l) => [l.providerId, l.amount, l.adjustmentRefs])).toEqual([['AES', '600.00', []], ['SU', '300.00', []]]);
    expect(r.carried).toEqual(['1', '2', '3']);
    expect(r.applied).toEqual([]);
  });

  it('applies adjustments that bring a provider to exactly zero and leaves it off the list', () => {
    const r = netAdjustments(day, [{ id: '1', providerId: 'SU', amount: '-300.00', ref: 'K1' }]);
    expect(r.lines.map((l) => l.providerId)).toEqual(['AES']);
    expect(r.applied).toEqual([{ id: '1', providerId: 'SU' }]);
  });

  it('names the corrections in the EndToEndId and the remittance text', () => {
    expect(lineEndToEndId('HSBK20261128-', 2, [])).toBe('HSBK20261128-002');
    expect(lineEndToEndId('HSBK20261128-', 2, ['K7'])).toBe('HSBK20261128-002K7');
    expect(lineEndToEndId('HSBK20261128-', 2, ['K7', 'K9', 'K12'])).toBe('HSBK20261128-002K7+2');
    expect(adjustmentText({ amount: '-300.00', refs: ['K7'] })).toBe(', корректировка K7 -300.00');
    expect(adjustmentText({ amount: '50.00', refs: ['K7', 'K9'] })).toBe(', корректировки K7,K9 +50.00');
    expect(adjustmentText({ amount: '1.00', refs: Array.from({ length: 12 }, (_, i) => `K${1000 + i}`) })).toBe(', корректировки K1000 и ещё 11 +1.00');
  });
});

describe('remittance text of an adjusted line', () => {
  it('keeps the correction references within 140 characters when the names are long', () => {
    const input = { initiatingParty: { name: 'Е'.repeat(100), bin: '' }, businessDate: '2026-11-28' } as unknown as PaymentListInput;
    const line = { lineNo: 1, providerName: 'П'.repeat(100), paymentCount: 12345, adjustment: { amount: '-99999999.99', refs: ['K123456', 'K123457', 'K123458', 'K123459', 'K123460'] } } as unknown as PaymentListLine;
    const text = remittanceText(input, line);
    expect([...text].length).toBeLessThanOrEqual(140);
    expect(text.endsWith(', платежей: 12345, корректировки K123456 и ещё 4 -99999999.99')).toBe(true);
  });
});
