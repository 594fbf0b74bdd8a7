// The worker thread of api/register-parser.ts: parses one register at a time, off the API's event loop.
import { parentPort } from 'node:worker_threads';
import { parseRegisterUpload } from './register-upload';

export interface RegisterParseRequest {
  id: number;
  body: Uint8Array;
  receivedAtMs: number;
}

if (!parentPort) throw new Error('invariant: register-parse-thread runs as a worker thread');
const port = parentPort;
port.on('message', (request: RegisterParseRequest) => {
  try {
    port.postMessage({ id: request.id, result: parseRegisterUpload(request.body, new Date(request.receivedAtMs)) });
  } catch (err) {
    port.postMessage({ id: request.id, error: (err as Error).message });
  }
});
