import { spawn } from 'node:child_process';
import path from 'node:path';

// The process that used a render thread and a parse thread ends by itself once they are idle
// (before the fix, the threads' message ports held it: jest waited after its last suite).
describe('TsThread', () => {
  it('lets the process exit once its threads are idle', async () => {
    const script = path.join(__dirname, '../support/threads-then-idle.ts');
    const child = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    // A hang is the failure: the child is killed after this long and the test sees the signal.
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    expect({ code, signal, out }).toEqual({ code: 0, signal: null, out: 'pdf %PDF-\nregister answered\n' });
  }, 120_000);
});
