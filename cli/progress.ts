// A progress bar for long CLI jobs, on stderr so that stdout stays clean for results. On a
// terminal it redraws one line (bar, percentage, rate, ETA); in a log (not a TTY) it prints a
// line at every 10% instead of filling the log with carriage returns.

/** Redraws at most this often on a terminal: a faster refresh costs more than it shows. */
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 30;
/** Non-TTY output prints one line per this share of the total. */
const LOG_STEP_PERCENT = 10;

export interface ProgressBar {
  tick(done: number): void;
  done(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Clock in ms; tests pin it. */
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function progressBar(label: string, total: number, opts: ProgressOptions = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => Date.now());
  const startedMs = now();
  const tty = Boolean(stream.isTTY);
  let lastDrawMs = -Infinity;
  let lastStep = -1;
  let current = 0;
  let finished = false;

  const line = (done: number): string => {
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const elapsedS = (now() - startedMs) / 1000;
    const rate = elapsedS > 0 ? done / elapsedS : 0;
    const eta = rate > 0 ? (total - done) / rate : Number.NaN;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = tty ? ` [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]` : '';
    return `${label}${bar} ${(fraction * 100).toFixed(1)}% ${done}/${total} ${Math.round(rate)}/s ETA ${formatDuration(eta)}`;
  };

  return {
    tick(done: number) {
      if (finished) return;
      current = done;
      if (tty) {
        const t = now();
        if (t - lastDrawMs < REDRAW_INTERVAL_MS && done < total) return;
        lastDrawMs = t;
        stream.write(`\r${line(done)}\x1b[K`);
        return;
      }
      const step = total > 0 ? Math.floor((Math.min(done, total) / total) * (100 / LOG_STEP_PERCENT)) : 100 / LOG_STEP_PERCENT;
      if (step > lastStep) {
        lastStep = step;
        stream.write(`${line(done)}\n`);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      const elapsed = formatDuration((now() - startedMs) / 1000);
      const summary = `${label} ${current}/${total} in ${elapsed}`;
      stream.write(tty ? `\r${summary}\x1b[K\n` : `${summary}\n`);
    },
  };
}
