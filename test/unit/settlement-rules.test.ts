// The pure rules of the settlement workflow (workflows/settlement-rules.ts), outside a workflow.
import { allConfirmed, appendTimeline, applyLines, confirmationTargets, emptyState, sumAmounts } from '../../workflows/settlement-rules';
import type { SettlementLineState, SettlementState } from '../../domain/settlement-types';

const line = (lineNo: number, amount: string, transferRef: string | null = null): SettlementLineState => ({
  lineNo, providerId: `P${lineNo}`, amount, paymentCount: 1, endToEndId: `E${lineNo}`, transferRef, confirmedAt: transferRef ? '2026-11-28T10:00:00Z' : null,
});

function delivered(lines: SettlementLineState[]): SettlementState {
  const state = emptyState({ bankCode: 'HSBK', businessDate: '2026-11-27', startedBy: 'schedule' }, 'settlement:HSBK:2026-11-27', '2026-11-27T18:00:00Z');
  state.status = 'delivered';
  applyLines(state, lines);
  return state;
}

/** The ApplicationFailure type a rule refuses with, or undefined when it does not refuse. */
function refusalType(rule: () => unknown): string | undefined {
  try {
    rule();
  } catch (err) {
    return (err as { type?: string }).type;
  }
  return undefined;
}

describe('settlement rules', () => {
  it('sums amounts exactly, in tiyn', () => {
    expect(sumAmounts(['0.10', '0.20', '1000000000.05'])).toBe('1000000000.35');
    expect(sumAmounts([])).toBe('0.00');
  });

  it('counts confirmed lines and their total from the lines', () => {
    const state = delivered([line(1, '10.00', 'T-1'), line(2, '5.50')]);
    expect([state.counts.lines, state.counts.confirmedLines, state.totals.confirmed, allConfirmed(state)]).toEqual([2, 1, '10.00', false]);
  });

  it('confirms the unconfirmed lines, skips a repeat and refuses another reference for a confirmed line', () => {
    const state = delivered([line(1, '10.00', 'T-1'), line(2, '5.50')]);
    expect(confirmationTargets(state, { transferRef: 'T-2' })).toEqual([{ lineNo: 2, transferRef: 'T-2' }]);
    expect(confirmationTargets(state, { lines: [{ lineNo: 1, transferRef: 'T-1' }] })).toEqual([]);
    expect(refusalType(() => confirmationTargets(state, { lines: [{ lineNo: 1, transferRef: 'T-9' }] }))).toBe('LINE_ALREADY_CONFIRMED');
    expect(refusalType(() => confirmationTargets(state, { lines: [{ lineNo: 7, transferRef: 'T-9' }] }))).toBe('UNKNOWN_LINE');
  });

  it('refuses a confirmation before the list has gone out', () => {
    const state = delivered([line(1, '10.00')]);
    state.status = 'aggregated';
    expect(refusalType(() => confirmationTargets(state, {}))).toBe('NOT_AWAITING_CONFIRMATION');
  });

  it('keeps a long timeline short, first and last entries kept', () => {
    const state = delivered([]);
    for (let i = 0; i < 150; i++) appendTimeline(state, `t${i}`, `e${i}`);
    expect(state.timeline).toHaveLength(100);
    expect([state.timeline[0]?.event, state.timeline[99]?.event]).toEqual(['e0', 'e149']);
  });
});
