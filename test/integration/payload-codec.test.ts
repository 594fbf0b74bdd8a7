// Personal data stays out of Temporal: with payload keys, a payment's history on the real dev
// server holds ciphertext (inputs, results and a rejection's message), the SPC's own replay reads
// it with the keys, and the API's codec endpoint decodes it for a signed-in person only: their own
// token as Bearer, or their /ops session cookie from the Web UI's origin (issue 16, item 9).
import { Client, Connection } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { submitPayment } from '../../client/payments';
import { paymentWorkflowId } from '../../domain/payment-types';
import { buildApiServer } from '../../api/server';
import { codecUiEndpoint, type CodecAuditEntry } from '../../api/routes/codec';
import { disableOperator, revokeOperatorToken } from '../../db/operators';
import { operatorToken } from '../support/operators';
import path from 'node:path';
import { historiesFromDir, replayHistories } from '../../audit';
import { generatePayloadKey, ENCRYPTED_ENCODING, type PayloadKeyring } from '../../infra/payload-codec';
import { payloadCodecOf } from '../../infra/temporal-connection';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { testTemporalAddress } from '../support/env';

const keyring: PayloadKeyring = { keys: { 'test-1': generatePayloadKey() }, currentKeyId: 'test-1' };
/** The shared script token of /ops/api: it opens no codec. */
const SHARED_TOKEN = 'codec-test-shared-ops-token';
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
    const audit: CodecAuditEntry[] = [];
    const app = (opts: { decodesPerMinuteMax?: number } = {}) => buildApiServer({
      db: h.database.db, client: h.client, taskQueue: h.taskQueue, operatorToken: SHARED_TOKEN, payloadCodec: payloadCodecOf({ payloadKeys: keyring }),
      temporalUiUrl: uiOrigin, logger: false, codecAudit: (e) => void audit.push(e), codecDecodesPerMinuteMax: opts.decodesPerMinuteMax,
    });
    const uiPath = new URL(codecUiEndpoint('http://127.0.0.1:3000')).pathname;
    let aliceToken: string;
    beforeAll(async () => {
      aliceToken = await operatorToken(h.database.db, 'alice');
    });
    beforeEach(() => void audit.splice(0));

    /** Signs `id` in on /ops as a browser does, and returns the session cookie the browser then sends to /codec/ui. */
    async function signIn(server: ReturnType<typeof app>, id: string, token: string): Promise<string> {
      const form = await server.inject({ method: 'GET', url: '/ops' });
      const pre = String(form.headers['set-cookie']).split(';')[0] as string;
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)?.[1];
      const res = await server.inject({ method: 'POST', url: '/ops/sign-in', headers: { cookie: pre }, payload: { operator: id, token, csrf } });
      expect(res.statusCode).toBe(303);
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      const forCodec = cookies.find((c) => c.startsWith('spc_ops_session=') && c.includes('Path=/codec/ui;'));
      expect(forCodec).toMatch(/HttpOnly; SameSite=Strict/);
      return (forCodec as string).split(';')[0] as string;
    }

    it('decodes the history\'s payloads for a person with their own token, and audits the decode with their name', async () => {
      const server = app();
      const res = await server.inject({ method: 'POST', url: '/codec/decode', headers: { authorization: `Bearer ${aliceToken}`, 'x-namespace': 'default' }, payload: { payloads: jsonPayloadsOf(history) } });
      expect(res.statusCode).toBe(200);
      const decoded = (res.json() as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
      expect(decoded.some((p) => Buffer.from(p.data, 'base64').toString().includes(WORLD.account))).toBe(true);
      expect(decoded.every((p) => Buffer.from(p.metadata.encoding ?? '', 'base64').toString() !== ENCRYPTED_ENCODING)).toBe(true);
      expect(audit).toEqual([{ event: 'codec.decode', operator: 'alice', via: 'token', payloads: jsonPayloadsOf(history).length, ip: '127.0.0.1', namespace: 'default' }]);
      expect(JSON.stringify(audit)).not.toContain(aliceToken);
      await server.close();
    });

    it('refuses no credential, a wrong one, the shared ops token, a revoked token and a disabled operator\'s, decoding nothing', async () => {
      const server = app();
      const body = { payloads: jsonPayloadsOf(history).slice(0, 1) };
      const decode = (authorization?: string) => server.inject({ method: 'POST', url: '/codec/decode', headers: authorization ? { authorization } : {}, payload: body });
      const revoked = await createOperatorTokenFor('bob');
      await revokeOperatorToken(h.database.db, revoked.prefix);
      const disabled = await createOperatorTokenFor('carol');
      await disableOperator(h.database.db, 'carol');
      const answers = [await decode(), await decode('Bearer nope'), await decode(`Bearer ${SHARED_TOKEN}`), await decode(`Bearer ${revoked.token}`), await decode(`Bearer ${disabled.token}`)];
      expect(answers.map((r) => [r.statusCode, r.json().code])).toEqual(Array(5).fill([401, 'UNAUTHORIZED']));
      expect(answers[2]?.json().message).toMatch(/personal token.*SPC_OPS_PAGE_TOKEN opens no codec/);
      for (const r of answers) expect(r.body).not.toContain(WORLD.account);
      expect(audit).toEqual([]);
      await server.close();
    });

    it('answers the Web UI at /codec/ui for a signed-in operator\'s session cookie from the UI\'s origin, with credentialed CORS', async () => {
      const server = app();
      const body = { payloads: jsonPayloadsOf(history).slice(0, 2) };
      const cookie = await signIn(server, 'alice', aliceToken);
      const preflight = await server.inject({ method: 'OPTIONS', url: `${uiPath}/decode`, headers: { origin: uiOrigin, 'access-control-request-method': 'POST' } });
      expect([preflight.statusCode, preflight.headers['access-control-allow-origin'], preflight.headers['access-control-allow-credentials']]).toEqual([204, uiOrigin, 'true']);
      expect(String(preflight.headers['access-control-allow-headers'])).toContain('x-namespace');
      const fromUi = await server.inject({ method: 'POST', url: `${uiPath}/decode`, headers: { origin: uiOrigin, cookie, 'x-namespace': 'default' }, payload: body });
      expect([fromUi.statusCode, fromUi.headers['access-control-allow-origin'], fromUi.headers['access-control-allow-credentials']]).toEqual([200, uiOrigin, 'true']);
      const decoded = (fromUi.json() as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
      expect(decoded.map((p) => Buffer.from(p.metadata.encoding ?? '', 'base64').toString())).not.toContain(ENCRYPTED_ENCODING);
      expect(decoded).toHaveLength(2);
      expect(audit).toEqual([{ event: 'codec.decode', operator: 'alice', via: 'ui', payloads: 2, ip: '127.0.0.1', namespace: 'default' }]);
      await server.close();
    });

    it('opens nothing with the endpoint alone: no cookie, a foreign origin, an old capability path, a signed-out or disabled operator\'s session', async () => {
      const server = app();
      const body = { payloads: jsonPayloadsOf(history).slice(0, 1) };
      const ui = (headers: Record<string, string>, url = `${uiPath}/decode`) => server.inject({ method: 'POST', url, headers, payload: body });
      const cookie = await signIn(server, 'alice', aliceToken);
      const daveToken = await operatorToken(h.database.db, 'dave');
      const daveCookie = await signIn(server, 'dave', daveToken);
      // Proven live first, so that the refusal below is the disabling's.
      expect((await ui({ origin: uiOrigin, cookie: daveCookie })).statusCode).toBe(200);
      await disableOperator(h.database.db, 'dave');
      const signedOut = await signIn(server, 'alice', aliceToken);
      const page = await server.inject({ method: 'GET', url: '/ops', headers: { cookie: signedOut } });
      const csrf = /name="spc-csrf" content="([^"]+)"/.exec(page.body)?.[1] ?? '';
      expect((await server.inject({ method: 'POST', url: '/ops/sign-out', headers: { cookie: signedOut, 'x-csrf-token': csrf } })).statusCode).toBe(303);
      audit.splice(0);

      const refusals = {
        noCookie: await ui({ origin: uiOrigin }),
        noOrigin: await ui({ cookie }),
        foreignOrigin: await ui({ origin: 'http://127.0.0.1:9999', cookie }),
        sharedToken: await ui({ origin: uiOrigin, authorization: `Bearer ${SHARED_TOKEN}` }),
        disabled: await ui({ origin: uiOrigin, cookie: daveCookie }),
        signedOut: await ui({ origin: uiOrigin, cookie: signedOut }),
      };
      for (const [name, r] of Object.entries(refusals)) expect([name, r.statusCode, r.json().code]).toEqual([name, 401, 'NOT_SIGNED_IN']);
      expect(refusals.noCookie.json().message).toMatch(/Sign in on \/ops.*Include cross-origin credentials/);
      // A foreign page gets no CORS grant to read even the refusal.
      expect(refusals.foreignOrigin.headers['access-control-allow-origin']).toBeUndefined();
      // The capability path of an earlier start, with or without a session: refused, and why.
      const oldPath = await ui({ origin: uiOrigin, cookie }, '/codec/ui/dGhlLW9sZC1jYXBhYmlsaXR5/decode');
      expect([oldPath.statusCode, oldPath.json().code]).toEqual([401, 'UNAUTHORIZED']);
      expect(oldPath.json().message).toMatch(/no longer carries a capability/);
      for (const r of [...Object.values(refusals), oldPath]) expect(r.body).not.toContain(WORLD.account);
      expect(audit).toEqual([]);
      await server.close();
    });

    it('bounds the payloads decoded a minute: past the budget 429 with Retry-After, and no decode', async () => {
      const server = app({ decodesPerMinuteMax: 3 });
      const headers = { authorization: `Bearer ${aliceToken}` };
      const two = { payloads: jsonPayloadsOf(history).slice(0, 2) };
      expect((await server.inject({ method: 'POST', url: '/codec/decode', headers, payload: two })).statusCode).toBe(200);
      const over = await server.inject({ method: 'POST', url: '/codec/decode', headers, payload: two });
      expect([over.statusCode, over.json().code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(over.body).not.toContain(WORLD.account);
      expect(audit.map((a) => [a.operator, a.via, a.payloads])).toEqual([['alice', 'token', 2]]);
      await server.close();
    });

    it('encodes for the CLI with the current key', async () => {
      const server = app();
      const res = await server.inject({
        method: 'POST', url: '/codec/encode', headers: { authorization: `Bearer ${aliceToken}` },
        payload: { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] },
      });
      expect(res.statusCode).toBe(200);
      const [p] = (res.json() as { payloads: Array<{ metadata: Record<string, string> }> }).payloads;
      expect(Buffer.from(p?.metadata['encryption-key-id'] ?? '', 'base64').toString()).toBe('test-1');
      await server.close();
    });
  });
});

/** A fresh operator account `id` and one token of theirs (prefix to revoke it by). */
async function createOperatorTokenFor(id: string): Promise<{ token: string; prefix: string }> {
  const token = await operatorToken(h.database.db, id);
  return { token, prefix: token.slice(0, 'spco_'.length + 8) };
}
