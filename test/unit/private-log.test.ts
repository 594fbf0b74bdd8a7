// The child processes' log files (issue 16, item 9): owner-only, also when an earlier start left a
// world-readable one, and the start line that quotes the dev server's command never holds the Web
// UI's codec capability of an earlier start. The endpoint on the command line now holds no secret.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codecUiEndpoint } from '../../api/routes/codec';
import { logStartLine, openPrivateLog } from '../../infra/private-log';
import { devServerArgs } from '../../infra/temporal-server';

let dir: string;
beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-private-log-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('private logs', () => {
  it('creates the log owner-only and narrows one left world-readable', () => {
    const fresh = path.join(dir, 'temporal.log');
    fs.closeSync(openPrivateLog(fresh));
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o600);
    const old = path.join(dir, 'postgres.log');
    fs.writeFileSync(old, 'from an earlier start\n', { mode: 0o644 });
    fs.chmodSync(old, 0o644);
    const fd = openPrivateLog(old);
    fs.writeSync(fd, 'appended\n');
    fs.closeSync(fd);
    expect(fs.statSync(old).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(old, 'utf8')).toBe('from an earlier start\nappended\n');
  });

  it('writes the dev server\'s command line with the codec endpoint, which holds no secret, and masks a retired capability', () => {
    const retired = 'dGhlLWNhcGFiaWxpdHktb2YtYW4tZWFybGllci1zdGFydA';
    const args = devServerArgs({ port: 7233, uiPort: 8233, namespace: 'default', uiCodecEndpoint: codecUiEndpoint('http://127.0.0.1:3000/') });
    const file = path.join(dir, 'temporal.log');
    const fd = openPrivateLog(file);
    logStartLine(fd, 'temporal', args);
    logStartLine(fd, 'temporal', ['--ui-codec-endpoint', `http://127.0.0.1:3000/codec/ui/${retired}`]);
    fs.closeSync(fd);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/--ui-codec-endpoint http:\/\/127\.0\.0\.1:3000\/codec\/ui\s/);
    expect(text).toContain('--ui-codec-endpoint http://127.0.0.1:3000/codec/ui/[redacted]');
    expect(text).not.toContain(retired);
  });
});
