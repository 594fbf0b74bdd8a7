// The Prometheus text the SPC's processes serve at /metrics (infra/metrics.ts).
import { MetricsRegistry, registerActivityMetrics, SERIES_PER_METRIC_MAX, STAGE_BUCKETS_SECONDS } from '../../infra/metrics';
import { channelLabelOf } from '../../domain/payment-types';

describe('MetricsRegistry', () => {
  it('renders counters with sorted, escaped labels in the text exposition format', () => {
    const r = new MetricsRegistry();
    const c = r.counter('spc_payments_total', 'Payments answered.');
    c.inc({ outcome: 'rejected', code: 'AMOUNT_MISMATCH', channel: 'cash_desk' });
    c.inc({ outcome: 'rejected', code: 'AMOUNT_MISMATCH', channel: 'cash_desk' });
    c.inc({ outcome: 'accepted', code: '', channel: 'say "hi"' });
    expect(r.render()).toBe(
      [
        '# HELP spc_payments_total Payments answered.',
        '# TYPE spc_payments_total counter',
        'spc_payments_total{channel="cash_desk",code="AMOUNT_MISMATCH",outcome="rejected"} 2',
        'spc_payments_total{channel="say \\"hi\\"",code="",outcome="accepted"} 1',
        '',
      ].join('\n'),
    );
  });

  it('renders histograms as cumulative buckets with sum and count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram('spc_http_request_duration_seconds', 'Durations.', [0.1, 1]);
    h.observe({ route: '/v1/payments' }, 0.05);
    h.observe({ route: '/v1/payments' }, 0.5);
    h.observe({ route: '/v1/payments' }, 3);
    expect(r.render().split('\n').slice(2, 7)).toEqual([
      'spc_http_request_duration_seconds_bucket{route="/v1/payments",le="0.1"} 1',
      'spc_http_request_duration_seconds_bucket{route="/v1/payments",le="1"} 2',
      'spc_http_request_duration_seconds_bucket{route="/v1/payments",le="+Inf"} 3',
      'spc_http_request_duration_seconds_sum{route="/v1/payments"} 3.55',
      'spc_http_request_duration_seconds_count{route="/v1/payments"} 3',
    ]);
  });

  it('refuses a metric registered twice, and drops (never throws) label sets past the bound', () => {
    const r = new MetricsRegistry();
    const c = r.counter('spc_x_total', 'x');
    expect(() => r.counter('spc_x_total', 'again')).toThrow(/registered twice/);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    for (let i = 0; i < SERIES_PER_METRIC_MAX; i++) c.inc({ id: String(i) });
    c.inc({ id: 'one more' });
    c.inc({ id: '0' });
    expect([c.value({ id: 'one more' }), c.value({ id: '0' })]).toEqual([0, 2]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('renders a gauge only while it has a value: a process that does not measure it reports nothing, not 0', () => {
    const r = new MetricsRegistry();
    const measured: { value?: number } = {};
    r.gauge('spc_settlements_overdue', 'Overdue.', () => measured.value);
    expect(r.render()).toBe('# HELP spc_settlements_overdue Overdue.\n# TYPE spc_settlements_overdue gauge\n');
    measured.value = 2;
    expect(r.render()).toContain('\nspc_settlements_overdue 2\n');
    expect(r.names()).toEqual(['spc_settlements_overdue']);
  });
});

describe('the activity metrics', () => {
  it('count postings by outcome, code and channel, register rows by outcome and code, and webhook failures by bank and kind', () => {
    const r = new MetricsRegistry();
    const m = registerActivityMetrics(r);
    m.paymentPostings.inc({ outcome: 'rejected', code: 'ACCOUNT_NOT_FOUND', channel: 'online' });
    m.registerRows.inc({ outcome: 'accepted', code: '' }, 998);
    m.registerRows.inc({ outcome: 'rejected', code: 'AMOUNT_MISMATCH' }, 2);
    m.webhookFailures.inc({ bank: 'HSBK', kind: 'settlement' });
    const text = r.render();
    expect(text).toContain('spc_payment_postings_total{channel="online",code="ACCOUNT_NOT_FOUND",outcome="rejected"} 1\n');
    expect(text).toContain('spc_register_rows_total{code="",outcome="accepted"} 998\n');
    expect(text).toContain('spc_register_rows_total{code="AMOUNT_MISMATCH",outcome="rejected"} 2\n');
    expect(text).toContain('spc_webhook_failures_total{bank="HSBK",kind="settlement"} 1\n');
  });

  it('time settlement stages on buckets from a fraction of a second to a week', () => {
    const r = new MetricsRegistry();
    const m = registerActivityMetrics(r);
    m.settlementStageDuration.observe({ stage: 'aggregate' }, 0.3);
    m.settlementStageDuration.observe({ stage: 'confirmation' }, 2 * 86_400);
    const text = r.render();
    expect(STAGE_BUCKETS_SECONDS[STAGE_BUCKETS_SECONDS.length - 1]).toBe(604_800);
    expect(text).toContain('spc_settlement_stage_duration_seconds_bucket{stage="aggregate",le="0.5"} 1\n');
    expect(text).toContain('spc_settlement_stage_duration_seconds_bucket{stage="confirmation",le="86400"} 0\n');
    expect(text).toContain('spc_settlement_stage_duration_seconds_bucket{stage="confirmation",le="259200"} 1\n');
  });
});

describe('channelLabelOf', () => {
  it('keeps a known channel and names anything else other, so label values stay bounded', () => {
    expect(channelLabelOf('kiosk')).toBe('kiosk');
    expect(channelLabelOf('cash_desk')).toBe('cash_desk');
    expect(channelLabelOf('say "hi"')).toBe('other');
    expect(channelLabelOf('x'.repeat(5000))).toBe('other');
    expect(channelLabelOf(undefined)).toBe('other');
    expect(channelLabelOf(42)).toBe('other');
  });
});
