// Liveness, readiness and the bounded stop shared by `spc worker`, `spc keeper` and `spc api`.
import { startProbeServer, stopWithin, type ProbeServer } from '../../infra/process';

describe('startProbeServer', () => {
  let server: ProbeServer | undefined;
  let live = true;
  let postgresUp = true;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const start = async () => {
    server = await startProbeServer({
      role: 'worker',
      host: '127.0.0.1',
      port: 0,
      live: () => live,
      ready: {
        postgres: async () => {
          if (!postgresUp) throw new Error('connection refused');
        },
        temporal: async () => undefined,
      },
    });
    return server;
  };
  const get = async (path: string) => {
    const res = await fetch(`${(server as ProbeServer).url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers ready with each check while every dependency answers', async () => {
    await start();
    expect(await get('/livez')).toEqual({ status: 200, body: { role: 'worker', status: 'ok', pid: process.pid } });
    expect(await get('/readyz')).toEqual({ status: 200, body: { role: 'worker', status: 'ok', postgres: 'ok', temporal: 'ok' } });
  });

  it('is live but not ready while a dependency is down, and says which', async () => {
    postgresUp = false;
    await start();
    expect((await get('/livez')).status).toBe(200);
    expect(await get('/readyz')).toEqual({ status: 503, body: { role: 'worker', status: 'not ready', postgres: 'down: connection refused', temporal: 'ok' } });
    postgresUp = true;
  });

  it('stops being ready once stopping, and stops being live when its loop has failed', async () => {
    await start();
    server?.markStopping();
    expect(await get('/readyz')).toEqual({ status: 503, body: { role: 'worker', status: 'stopping' } });
    live = false;
    expect((await get('/livez')).status).toBe(503);
    live = true;
  });
});

describe('stopWithin', () => {
  it('waits for a stop that finishes within the bound', async () => {
    let finished = false;
    const stop = () => new Promise<void>((resolve) => setTimeout(() => ((finished = true), resolve()), 20));
    expect(await stopWithin(1_000, stop, () => undefined)).toBe(true);
    expect(finished).toBe(true);
  });

  it('gives up on a stop that hangs, and says so', async () => {
    const said: string[] = [];
    expect(await stopWithin(30, () => new Promise<void>(() => undefined), (m) => said.push(m))).toBe(false);
    expect(said).toEqual(['did not stop within 30 ms (SPC_SHUTDOWN_GRACE_MS); exiting anyway']);
  });
});
