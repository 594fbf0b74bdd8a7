// Where the CPU goes during a benchmark phase: the Temporal server, the worker processes, Postgres
// (the backends of the bench's database) and the load generator (this process), read from /proc. Linux only; elsewhere
// the split is reported as unknown rather than guessed.
import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const CLOCK_TICKS_PER_S = 100;

function ticksOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export interface CpuGroups {
  temporal?: number;
  workers: () => number[];
  /** The Postgres backends serving the bench's database (the server may serve others too). */
  postgres: () => Promise<number[]>;
  /** Other processes of the stack (an API process), each counted under its name. */
  others?: () => Record<string, number[]>;
}

export type CpuSplit = Record<string, number>;

interface Reading {
  atMs: number;
  /** Clock ticks per group, per process: a process that exits mid-phase drops out instead of counting negative. */
  ticks: Record<string, Map<number, number>>;
  selfUs: number;
}

async function read(groups: CpuGroups): Promise<Reading> {
  const of = (pids: number[]) => new Map(pids.map((pid) => [pid, ticksOf(pid)]));
  const ticks: Record<string, Map<number, number>> = {
    temporal: of(groups.temporal ? [groups.temporal] : []),
    worker: of(groups.workers()),
    postgres: of(await groups.postgres()),
  };
  for (const [name, pids] of Object.entries(groups.others?.() ?? {})) ticks[name] = of(pids);
  const self = process.cpuUsage();
  return { atMs: performance.now(), ticks, selfUs: self.user + self.system };
}

/** Starts measuring; the returned function gives each part's share of one core over the phase (1.0 = a whole core). */
export async function measureCpu(groups: CpuGroups): Promise<() => Promise<CpuSplit>> {
  const start = await read(groups);
  return async () => {
    const end = await read(groups);
    const seconds = (end.atMs - start.atMs) / 1000;
    const cores = (ticks: number) => Number((ticks / CLOCK_TICKS_PER_S / seconds).toFixed(2));
    const split: CpuSplit = {};
    for (const [name, byPid] of Object.entries(end.ticks)) {
      let used = 0;
      for (const [pid, t] of byPid) used += Math.max(0, t - (start.ticks[name]?.get(pid) ?? 0));
      split[`cpu_${name}_cores`] = cores(used);
    }
    split.cpu_load_generator_cores = Number(((end.selfUs - start.selfUs) / 1e6 / seconds).toFixed(2));
    return split;
  };
}
