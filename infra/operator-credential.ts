// Where the CLI finds its operator's personal token (issue 16 item 6): SPC_OPERATOR_TOKEN, else the
// file SPC_OPERATOR_TOKEN_FILE, else <config dir>/spc/operator-token, else (a development checkout)
// <data dir>/operator-token, the bootstrap admin's that `spc up` writes. A file must be the user's
// alone (mode 0600 or stricter): a token others can read is refused rather than used.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A token file is one line; anything longer is not a token file. */
const TOKEN_FILE_BYTES_MAX = 1024;

export interface OperatorCredential {
  token?: string;
  /** Where it came from (or would have): for messages, never the token. */
  source: string;
  /** Why the file was not used (readable by others, too long). */
  problem?: string;
}

/** The default token file: $XDG_CONFIG_HOME/spc/operator-token, else ~/.config/spc/operator-token. */
export function defaultTokenFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME?.trim() || path.join(os.homedir(), '.config');
  return path.join(base, 'spc', 'operator-token');
}

function readTokenFile(file: string): OperatorCredential {
  const source = `the file ${file}`;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return { source };
  }
  if (!stat.isFile() || stat.size > TOKEN_FILE_BYTES_MAX) return { source, problem: `${file} is not a token file` };
  if ((stat.mode & 0o077) !== 0) return { source, problem: `${file} is readable by others (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 it` };
  return { token: fs.readFileSync(file, 'utf8').trim() || undefined, source };
}

/** The credential the environment gives (infra/config.ts operatorCredential reads the process's). */
export function operatorCredentialFromEnv(env: NodeJS.ProcessEnv, dataDir: string): OperatorCredential {
  const fromEnv = env.SPC_OPERATOR_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: 'SPC_OPERATOR_TOKEN' };
  const named = env.SPC_OPERATOR_TOKEN_FILE?.trim();
  if (named) return readTokenFile(named);
  const personal = readTokenFile(defaultTokenFile(env));
  return personal.token || personal.problem ? personal : readTokenFile(devTokenFile(dataDir));
}

/** The bootstrap admin's token file of `spc up` (cli/operator-bootstrap.ts). */
export function devTokenFile(dataDir: string): string {
  return path.join(dataDir, 'operator-token');
}

/** Writes a token file the user alone may read (0600), creating its directory (0700). */
export function writeTokenFile(file: string, token: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
