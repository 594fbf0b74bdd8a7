// A bank's error page is read only up to a byte cap: a 50 MiB (or endless) error body costs the
// worker ERROR_BODY_BYTES_MAX bytes, not the whole body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ERROR_BODY_BYTES_MAX, LAST_ERROR_CHARS_MAX, postWebhook } from '../../activities/webhook-post';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'e');
    // An endless body: only a reader that stops can finish.
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('records the start of an endless error body and stops reading it', async () => {
  const attempt = await postWebhook(url, 'idem-1', {}, { hello: 'bank' }, ['secret']);
  expect(attempt.status).toBe(500);
  expect(attempt.error).toBe(`HTTP 500 ${'e'.repeat(LAST_ERROR_CHARS_MAX)}`);
  expect(ERROR_BODY_BYTES_MAX).toBeLessThan(64 * 1024);
});
