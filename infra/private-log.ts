// Log files of the processes `spc up` starts (.data/temporal.log, .data/postgres.log, the cluster's):
// owner-only (0600), because a child's output may quote what only operators should see (issue 16,
// item 9: the dev server's command line carried the Web UI's codec capability). A file that exists
// from an earlier, more open start is narrowed too, since a mode given to open() applies only on creation.
import fs from 'node:fs';
import { redactText } from './log';

export const PRIVATE_LOG_MODE = 0o600;

/** The file opened for appending, owner-only; the caller closes the descriptor. */
export function openPrivateLog(file: string): number {
  const fd = fs.openSync(file, 'a', PRIVATE_LOG_MODE);
  fs.fchmodSync(fd, PRIVATE_LOG_MODE);
  return fd;
}

/** The header line of one start: when, and the command with its capabilities and tokens masked. */
export function logStartLine(fd: number, binary: string, args: string[]): void {
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${binary} ${redactText(args.join(' '))}\n`);
}
