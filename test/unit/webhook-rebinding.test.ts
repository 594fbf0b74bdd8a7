// DNS rebinding (issue 16, low): the URL rule of domain/webhook-url.ts sees only the host name, so
// the push checks the address the name resolves to when it connects. A name that resolves to a
// private or metadata address now is refused and nothing reaches the network; one that resolves to
// an allowed address is delivered. The resolver is the test's, the HTTP server a real local one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook, type WebhookResolver } from '../../activities/webhook-post';

let server: Server;
let port: number;
let received = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    received += 1;
    req.resume();
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A resolver that answers every name with these addresses (what a rebinding DNS server would do). */
const answering = (...addresses: string[]): WebhookResolver => (_host, callback) => callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

it.each([
  ['10.0.0.5', 'private 10.0.0.0/8'],
  ['169.254.169.254', 'link-local (cloud metadata) 169.254.0.0/16'],
  ['::ffff:192.168.1.10', 'private 192.168.0.0/16'],
])('refuses a host that resolves to %s at send time and sends nothing', async (address, network) => {
  const before = received;
  const attempt = await postWebhook(`http://localhost:${port}/hook`, 'idem-r', {}, { hello: 'bank' }, ['secret'], { resolve: answering(address) });
  expect(attempt).toEqual({ status: null, error: `WebhookAddressRefused: host localhost resolves to ${address}, a ${network} address inside the SPC's network: the push was not sent` });
  expect(received).toBe(before);
});

it('refuses a host when any of its addresses is internal, even if another is allowed', async () => {
  const attempt = await postWebhook(`http://localhost:${port}/hook`, 'idem-m', {}, {}, ['secret'], { resolve: answering('127.0.0.1', '10.1.2.3') });
  expect(attempt.error).toMatch(/^WebhookAddressRefused: host localhost resolves to 10\.1\.2\.3/);
});

it('delivers to a host that resolves to an allowed address', async () => {
  const before = received;
  const attempt = await postWebhook(`http://localhost:${port}/hook`, 'idem-ok', {}, { hello: 'bank' }, ['secret'], { resolve: answering('127.0.0.1') });
  expect(attempt).toEqual({ status: 200, error: null });
  expect(received).toBe(before + 1);
});
