// The server and SQL tool binaries, built from Go modules by scripts/ensure-temporal-server.sh
// (which holds the build lock shared with the CLI's build).
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { SpcConfig } from '../config';
import { LOG_TAIL_CHARS, TemporalClusterError } from './errors';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
}

/** Finds or builds the server and SQL tool binaries (the bash script holds the build lock). */
export function ensureTemporalServerBinaries(cfg: Pick<SpcConfig, 'cacheDir' | 'projectRoot'>, log: (m: string) => void): Promise<ClusterBinaries> {
  const script = path.join(cfg.projectRoot, 'scripts', 'ensure-temporal-server.sh');
  return new Promise((resolve, reject) => {
    // A child process inherits the environment (PATH, HOME, proxies); nothing is read from it here.
    // eslint-disable-next-line no-restricted-properties
    const child = spawn('bash', [script], { env: { ...process.env, SPC_CACHE_DIR: cfg.cacheDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-LOG_TAIL_CHARS);
      for (const line of text.split('\n')) if (line.startsWith('ensure-temporal-server:')) log(line.replace(/^ensure-temporal-server: /, ''));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new TemporalClusterError(`${script} failed (exit ${code}):\n${tail}`));
      const dir = stdout.trim();
      resolve({ server: path.join(dir, 'temporal-server'), sqlTool: path.join(dir, 'temporal-sql-tool') });
    });
  });
}
