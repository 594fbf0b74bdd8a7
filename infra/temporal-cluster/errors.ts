// Errors and log reading shared by the parts of the Temporal cluster module.
import fs from 'node:fs';

export const LOG_TAIL_CHARS = 3_000;

/** Thrown when the server binaries cannot be found or built, or the server does not come up. */
export class TemporalClusterError extends Error {
  override name = 'TemporalClusterError';
  constructor(message: string, readonly logFile?: string) {
    super(message);
  }
}

/** The end of a log file, for an error message (empty when unreadable). */
export function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-LOG_TAIL_CHARS);
  } catch {
    return '';
  }
}
