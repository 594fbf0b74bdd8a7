// Pure rules of access: key scopes and their presets, the webhook signature a bank verifies, and
// which webhook URLs a push may go to.
import { ALL_API_SCOPES, SCOPE_PRESETS, UnknownScopeError, parseScopes } from '../../domain/api-scopes';
import { verifyWebhookSignature, webhookSignature, webhookSignatureHeader } from '../../domain/webhook-signature';
import { webhookUrlProblem } from '../../domain/webhook-url';
import { isDeadlineError } from '../../client/deadline';

describe('API key scopes', () => {
  it('gives a cashier key look-up, payment and cancellation, and a bank key everything', () => {
    expect(parseScopes('cashier')).toEqual(['lookup', 'pay', 'cancel']);
    expect(parseScopes('bank')).toEqual(ALL_API_SCOPES);
    expect(SCOPE_PRESETS.cashier).not.toContain('settlements:confirm');
    expect(SCOPE_PRESETS.cashier).not.toContain('registers');
  });

  it('combines presets and scopes in one order without repeats, and refuses unknown names', () => {
    expect(parseScopes(' complaints, cashier ,lookup')).toEqual(['lookup', 'pay', 'cancel', 'complaints']);
    expect(() => parseScopes('cashier,admin')).toThrow(UnknownScopeError);
    expect(() => parseScopes(' , ')).toThrow(UnknownScopeError);
  });
});

describe('webhook signature', () => {
  const body = JSON.stringify({ event: 'settlement.payment_list', total: '900.00' });
  const secret = 'spcwh_' + 'a'.repeat(43);
  const nowMs = 1_800_000_000_000;
  const ts = Math.floor(nowMs / 1000);

  it('is HMAC-SHA256 over "<timestamp>.<body>", checked by the receiver with its secret', () => {
    // The same as: printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret"
    expect(webhookSignature(secret, ts, body)).toMatch(/^[0-9a-f]{64}$/);
    const header = webhookSignatureHeader([secret], ts, body);
    expect(header).toBe(`v1=${webhookSignature(secret, ts, body)}`);
    expect(verifyWebhookSignature({ secret, timestamp: String(ts), signature: header, body, nowMs })).toBe(true);
  });

  it('fails for another body, another secret, a stale timestamp or a missing header', () => {
    const header = webhookSignatureHeader([secret], ts, body);
    expect(verifyWebhookSignature({ secret, timestamp: String(ts), signature: header, body: `${body} `, nowMs })).toBe(false);
    expect(verifyWebhookSignature({ secret: `${secret}x`, timestamp: String(ts), signature: header, body, nowMs })).toBe(false);
    expect(verifyWebhookSignature({ secret, timestamp: String(ts), signature: header, body, nowMs: nowMs + 301_000 })).toBe(false);
    expect(verifyWebhookSignature({ secret, timestamp: undefined, signature: header, body, nowMs })).toBe(false);
    expect(verifyWebhookSignature({ secret, timestamp: String(ts), signature: undefined, body, nowMs })).toBe(false);
  });

  it('carries one entry per secret during a rotation, so either secret verifies', () => {
    const previous = 'spcwh_' + 'b'.repeat(43);
    const header = webhookSignatureHeader([secret, previous], ts, body);
    expect(header.split(',')).toHaveLength(2);
    expect(verifyWebhookSignature({ secret, timestamp: String(ts), signature: header, body, nowMs })).toBe(true);
    expect(verifyWebhookSignature({ secret: previous, timestamp: String(ts), signature: header, body, nowMs })).toBe(true);
  });
});

describe('webhook URLs', () => {
  it('takes https:// anywhere and plain http:// only to loopback addresses', () => {
    for (const ok of ['https://bank.example/hooks', 'http://127.0.0.1:9000/x', 'http://127.1.2.3/', 'http://localhost:8080/spc', 'http://[::1]/x']) {
      expect([ok, webhookUrlProblem(ok)]).toEqual([ok, null]);
    }
    expect(webhookUrlProblem('http://bank.example/hooks')).toMatch(/unencrypted/);
    expect(webhookUrlProblem('http://10.0.0.7/hooks')).toMatch(/private 10\.0\.0\.0\/8/);
    expect(webhookUrlProblem('http://localhost.evil.example/')).toMatch(/unencrypted/);
    expect(webhookUrlProblem('ftp://bank.example/x')).toMatch(/scheme ftp:/);
    expect(webhookUrlProblem('not a url')).toBe('it is not a URL');
  });
});

describe('engine deadlines', () => {
  it('recognises a call that hit its deadline, by the SDK\'s name or the gRPC code in its causes', () => {
    expect(isDeadlineError({ name: 'WorkflowUpdateRPCTimeoutOrCancelledError' })).toBe(true);
    expect(isDeadlineError({ name: 'ServiceError', cause: { code: 4, details: 'Deadline exceeded' } })).toBe(true);
    expect(isDeadlineError({ name: 'ServiceError', cause: { code: 14 } })).toBe(false);
    expect(isDeadlineError(new Error('no'))).toBe(false);
  });
});
