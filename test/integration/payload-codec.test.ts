// Personal data stays out of Temporal: with payload keys, a payment's history on the real dev
// server holds ciphertext (inputs, results and a rejection's message), the SPC's own replay reads
// it with the keys, and the API's codec endpoint decodes it for operators only.
import { Client, Connection } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { submitPayment } from '../../client/payments';
import { paymentWorkflowId } from '../../domain/payment-types';
import { buildApiServer } from '../../api/server';
import { CODEC_UI_VALIDITY_MS, codecUiEndpoint, newCodecUiCapability, type CodecAuditEntry, type CodecUiCapability } from '../../api/routes/codec';
import path from 'node:path';
import { historiesFromDir, replayHistories } from '../../audit';
import { generatePayloadKey, ENCRYPTED_ENCODING, type PayloadKeyring } from '../../infra/payload-codec';
import { payloadCodecOf } from '../../infra/temporal-connection';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { testTemporalAddress } from '../support/env';

const keyring: PayloadKeyring = { keys: { 'test-1': generatePayloadKey() }, currentKeyId: 'test-1' };
const TOKEN = 'codec-test-operator-token';
const UNKNOWN_ACCOUNT = '7700000777';
let h: Harness;
let plain: { connection: Connection; client: Client };
const ref = (tag: string) => `${tag}-${Date.now().toString(36)}`;

beforeAll(async () => {
  h = await startHarness('codec', { payloadKeys: keyring });
  await createPaymentWorld(h.database.db);
  // A client without the keys sees what the Temporal server (and its UI, and its database) holds.
  const connection = await Connection.connect({ address: testTemporalAddress() });
  plain = { connection, client: new Client({ connection, namespace: 'default' }) };
});

afterAll(async () => {
  await plain?.connection.close();
  await h?.close();
});

/** Every byte string and string in a history, decoded as UTF-8, so ciphertext and clear text can be searched. */
function textsOf(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) textsOf(v, out);
  return out;
}

/** The history's payloads in the remote codec protocol's JSON (what the Web UI posts to /codec/decode). */
function jsonPayloadsOf(value: unknown, out: Array<{ metadata: Record<string, string>; data: string }> = []) {
  if (value && typeof value === 'object') {
    const p = value as { metadata?: Record<string, Uint8Array>; data?: Uint8Array };
    if (p.metadata && p.data instanceof Uint8Array) {
      out.push({ metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(p.data).toString('base64') });
    } else for (const v of Object.values(value)) jsonPayloadsOf(v, out);
  }
  return out;
}

async function historyOf(workflowId: string): Promise<History> {
  return plain.client.workflow.getHandle(workflowId).fetchHistory();
}

describe('payload encryption', () => {
  let acceptedRef: string;
  let history: History;

  it('keeps the account number of an accepted payment out of its history in Temporal', async () => {
    acceptedRef = ref('enc');
    const outcome = await submitPayment(h.ctx, { bankCode: WORLD.bank, bankRef: acceptedRef, channel: 'online', account: WORLD.account, amount: '1000.00' });
    expect(outcome.ok).toBe(true);
    history = await historyOf(paymentWorkflowId(WORLD.bank, acceptedRef));
    const texts = textsOf(history);
    expect(texts.some((t) => t.includes(WORLD.account))).toBe(false);
    expect(texts.some((t) => t.includes('1000.00'))).toBe(false);
    // The input is there, encrypted, naming its key (search attributes stay readable: they hold codes, not personal data).
    const input = jsonPayloadsOf(history.events?.[0]?.workflowExecutionStartedEventAttributes?.input);
    expect(input.length).toBeGreaterThan(0);
    for (const p of input) {
      expect(Buffer.from(p.metadata.encoding ?? '', 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(p.metadata['encryption-key-id'] ?? '', 'base64').toString()).toBe('test-1');
    }
    expect(jsonPayloadsOf(history).filter((p) => Buffer.from(p.metadata.encoding ?? '', 'base64').toString() === ENCRYPTED_ENCODING).length).toBeGreaterThan(1);
  });

  it('keeps a rejection\'s message (which names the account) encrypted too, while its code stays readable', async () => {
    const rejectedRef = ref('rej');
    const outcome = await submitPayment(h.ctx, { bankCode: WORLD.bank, bankRef: rejectedRef, channel: 'online', account: UNKNOWN_ACCOUNT, amount: '10.00' });
    expect(outcome).toEqual(expect.objectContaining({ ok: false, code: 'ACCOUNT_NOT_FOUND' }));
    // The client with the keys reads the message in clear.
    expect((outcome as { message: string }).message).toContain('personal account');
    const texts = textsOf(await historyOf(paymentWorkflowId(WORLD.bank, rejectedRef)));
    expect(texts.some((t) => t.includes(UNKNOWN_ACCOUNT))).toBe(false);
    expect(texts).toContain('ACCOUNT_NOT_FOUND');
  });

  it('replays the encrypted history with the keys', async () => {
    const codec = payloadCodecOf({ payloadKeys: keyring });
    const summary = await replayHistories([{ workflowId: paymentWorkflowId(WORLD.bank, acceptedRef), type: 'paymentWorkflow', origin: 'temporal', history }], {
      dataConverter: { payloadCodecs: codec ? [codec] : [] },
    });
    expect({ ok: summary.ok, failed: summary.failed, nondeterministic: summary.nondeterministic }).toEqual({ ok: 1, failed: 0, nondeterministic: 0 });
  });

  it('still replays the committed histories recorded before the codec, with the codec in place (their payloads pass through)', async () => {
    const codec = payloadCodecOf({ payloadKeys: keyring });
    const sources = ['payment', 'register', 'settlement'].flatMap((kind) => historiesFromDir(path.resolve(__dirname, '../histories', kind)));
    const summary = await replayHistories(sources, { dataConverter: { payloadCodecs: codec ? [codec] : [] } });
    expect(summary.outcomes.filter((o) => o.verdict !== 'ok')).toEqual([]);
    expect(summary.total).toBe(sources.length);
  });

  describe('the codec endpoint', () => {
    const uiOrigin = 'http://127.0.0.1:8233';
    const capability = newCodecUiCapability();
    const audit: CodecAuditEntry[] = [];
    const app = (opts: { ui?: CodecUiCapability; decodesPerMinuteMax?: number } = {}) => buildApiServer({
      db: h.database.db, client: h.client, taskQueue: h.taskQueue, operatorToken: TOKEN, payloadCodec: payloadCodecOf({ payloadKeys: keyring }),
      temporalUiUrl: uiOrigin, logger: false, codecUiCapability: opts.ui ?? capability, codecAudit: (e) => void audit.push(e),
      codecDecodesPerMinuteMax: opts.decodesPerMinuteMax,
    });

    it('decodes the history\'s payloads for a caller with the operator token, and the account is in them', async () => {
      const server = app();
      const res = await server.inject({ method: 'POST', url: '/codec/decode', headers: { authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default' }, payload: { payloads: jsonPayloadsOf(history) } });
      expect(res.statusCode).toBe(200);
      const decoded = (res.json() as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
      expect(decoded.some((p) => Buffer.from(p.data, 'base64').toString().includes(WORLD.account))).toBe(true);
      expect(decoded.every((p) => Buffer.from(p.metadata.encoding ?? '', 'base64').toString() !== ENCRYPTED_ENCODING)).toBe(true);
      await server.close();
    });

    it('refuses without the token or with a wrong one, and answers the Web UI at its own endpoint with CORS', async () => {
      const server = app();
      const body = { payloads: jsonPayloadsOf(history).slice(0, 1) };
      const none = await server.inject({ method: 'POST', url: '/codec/decode', payload: body });
      const wrong = await server.inject({ method: 'POST', url: '/codec/decode', headers: { authorization: 'Bearer nope' }, payload: body });
      expect([none.statusCode, none.json().code, wrong.statusCode]).toEqual([401, 'UNAUTHORIZED', 401]);
      expect(none.body).not.toContain(WORLD.account);

      const uiPath = new URL(codecUiEndpoint('http://127.0.0.1:3000', capability)).pathname;
      const preflight = await server.inject({ method: 'OPTIONS', url: `${uiPath}/decode`, headers: { origin: uiOrigin, 'access-control-request-method': 'POST' } });
      expect([preflight.statusCode, preflight.headers['access-control-allow-origin']]).toEqual([204, uiOrigin]);
      expect(String(preflight.headers['access-control-allow-headers'])).toContain('x-namespace');
      const fromUi = await server.inject({ method: 'POST', url: `${uiPath}/decode`, headers: { origin: uiOrigin }, payload: body });
      expect([fromUi.statusCode, fromUi.headers['access-control-allow-origin']]).toEqual([200, uiOrigin]);
      const guessed = await server.inject({ method: 'POST', url: '/codec/ui/guessed/decode', headers: { origin: uiOrigin }, payload: body });
      expect(guessed.statusCode).toBe(401);
      await server.close();
    });

    it('rotates the UI\'s capability: another start\'s value and an expired one are refused, and every decode leaves an audit line', async () => {
      audit.splice(0);
      const body = { payloads: jsonPayloadsOf(history).slice(0, 2) };
      const current = app();
      const ok = await current.inject({ method: 'POST', url: `/codec/ui/${capability.value}/decode`, headers: { origin: uiOrigin, 'x-namespace': 'default' }, payload: body });
      expect(ok.statusCode).toBe(200);
      // The value of the previous start (another capability) no longer opens anything.
      const previous = newCodecUiCapability();
      const old = await current.inject({ method: 'POST', url: `/codec/ui/${previous.value}/decode`, payload: body });
      expect([old.statusCode, old.json().code]).toEqual([401, 'UNAUTHORIZED']);
      await current.close();
      // A capability past its window is refused although it is this process's own.
      const stale = newCodecUiCapability(new Date(Date.now() - CODEC_UI_VALIDITY_MS - 1000));
      const expiredApp = app({ ui: stale });
      const expired = await expiredApp.inject({ method: 'POST', url: `/codec/ui/${stale.value}/decode`, payload: body });
      expect([expired.statusCode, expired.json().code]).toEqual([401, 'CODEC_UI_EXPIRED']);
      expect(expired.body).not.toContain(WORLD.account);
      await expiredApp.close();
      // Only the successful decode is audited: by the UI, two payloads, no payload or capability in the line.
      expect(audit).toEqual([{ event: 'codec.decode', via: 'ui', payloads: 2, ip: '127.0.0.1', namespace: 'default' }]);
      expect(JSON.stringify(audit)).not.toContain(capability.value);
    });

    it('bounds the payloads decoded a minute: past the budget 429 with Retry-After, and no decode', async () => {
      audit.splice(0);
      const server = app({ decodesPerMinuteMax: 3 });
      const headers = { authorization: `Bearer ${TOKEN}` };
      const two = { payloads: jsonPayloadsOf(history).slice(0, 2) };
      expect((await server.inject({ method: 'POST', url: '/codec/decode', headers, payload: two })).statusCode).toBe(200);
      const over = await server.inject({ method: 'POST', url: '/codec/decode', headers, payload: two });
      expect([over.statusCode, over.json().code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(over.body).not.toContain(WORLD.account);
      expect(audit.map((a) => [a.via, a.payloads])).toEqual([['token', 2]]);
      await server.close();
    });

    it('encodes for the CLI with the current key', async () => {
      const server = app();
      const res = await server.inject({
        method: 'POST', url: '/codec/encode', headers: { authorization: `Bearer ${TOKEN}` },
        payload: { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] },
      });
      expect(res.statusCode).toBe(200);
      const [p] = (res.json() as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
      expect(Buffer.from(p?.metadata['encryption-key-id'] ?? '', 'base64').toString()).toBe('test-1');
      await server.close();
    });
  });
});
