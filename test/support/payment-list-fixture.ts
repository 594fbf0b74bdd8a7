// One HSBK payment list of 2026-11-27 for the unit tests of its two formats (pain.001 and CSV).
import { binCheckDigit, makeKzIban } from '../../domain/identifiers';
import type { PaymentListInput, PaymentListLine } from '../../domain/payment-list';

/** A valid BIN from its first 11 digits (the fixtures pick prefixes that admit a check digit). */
export function bin(first11: string): string {
  const check = binCheckDigit(first11);
  if (check === null) throw new Error(`no BIN check digit for ${first11}: pick another prefix`);
  return `${first11}${check}`;
}

export function paymentList(lines: PaymentListLine[], overrides: Partial<PaymentListInput> = {}): PaymentListInput {
  return {
    settlementId: 'HSBK:2026-11-27',
    msgId: 'SPC-HSBK-20261127',
    createdAt: '2026-11-27T13:05:00Z',
    businessDate: '2026-11-27',
    executionDate: '2026-11-30',
    initiatingParty: { name: 'АО «ALSECO»', bin: bin('99124000444') },
    debtor: { name: 'АО «Народный Банк Казахстана»', bin: bin('05014000555'), iban: makeKzIban('601', 'SETTLEMENT001'), bic: 'HSBKKZKX' },
    lines,
    ...overrides,
  };
}
