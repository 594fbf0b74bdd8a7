// The Prometheus text the SPC's processes serve at /metrics (infra/metrics.ts).
import { MetricsRegistry, SERIES_PER_METRIC_MAX } from '../../infra/metrics';

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
});
