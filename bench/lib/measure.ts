import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { cpuMs, rssMb } from './children.js';
import { median, repeated, round, type Latency, type Repeated } from './stats.js';

/**
 * Watching the processes under test while a load run goes: CPU time each one used (so a result
 * says where the machine's two cores went) and the highest RSS of the servers.
 */
export interface Watched {
  label: string;
  pids: () => number[];
}

export interface Watch<T> {
  result: T;
  /** CPU ms each watched process group used during the run. */
  cpuMs: Record<string, number>;
  /** Highest RSS seen (MB) per watched process group, sampled every 100 ms. */
  rssMaxMb: Record<string, number>;
  /** CPU ms the whole machine was busy during the run, and the run's wall time. */
  machineBusyMs: number;
  wallMs: number;
  /** Growth of the target's counters (database statements, directory operations). */
  counters: Record<string, number>;
}

export type Counters = () => Promise<Record<string, number>>;

/** CPU ms all cores have been busy since boot (/proc/stat, USER_HZ 100). */
function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) * 10;
}

export async function watch<T>(
  watched: readonly Watched[],
  run: () => Promise<T>,
  counters?: Counters,
): Promise<Watch<T>> {
  const counted0 = (await counters?.()) ?? {};
  const cpu = (w: Watched) => w.pids().reduce((sum, pid) => sum + cpuMs(pid), 0);
  const rss = (w: Watched) => w.pids().reduce((sum, pid) => sum + rssMb(pid), 0);
  const before = watched.map(cpu);
  const busy0 = machineBusyMs();
  const wall0 = performance.now();
  const rssMax: Record<string, number> = {};
  const sample = () => {
    for (const w of watched) rssMax[w.label] = Math.max(rssMax[w.label] ?? 0, rss(w));
  };
  sample();
  const timer = setInterval(sample, 100);
  try {
    const result = await run();
    sample();
    const cpuUsed: Record<string, number> = {};
    watched.forEach((w, i) => {
      cpuUsed[w.label] = cpu(w) - (before[i] ?? 0);
    });
    for (const k of Object.keys(rssMax)) rssMax[k] = round(rssMax[k] ?? 0, 1);
    const counted1 = (await counters?.()) ?? {};
    const grown: Record<string, number> = {};
    for (const [k, v] of Object.entries(counted1)) grown[k] = v - (counted0[k] ?? 0);
    return {
      result,
      counters: grown,
      cpuMs: cpuUsed,
      rssMaxMb: rssMax,
      machineBusyMs: machineBusyMs() - busy0,
      wallMs: performance.now() - wall0,
    };
  } finally {
    clearInterval(timer);
  }
}

/** What a load run reports, whatever drove it. */
export interface RunResult {
  rate: number;
  completed: number;
  errors: number;
  /** Operations started, including those still running at the deadline. */
  started?: number;
  /** Latency of one operation (a whole flow for flows, a request for autocannon). */
  latency: Pick<Latency, 'p50' | 'p99'>;
  /** Latency of single requests (flows only). */
  request?: Pick<Latency, 'p50' | 'p99'>;
  firstErrors?: string[];
  driverCpuMs: number;
}

export interface Summary {
  rate: Repeated;
  errors: number;
  firstErrors: string[];
  /** Medians over the runs of each run's p50 and p99 (ms). */
  p50: number;
  p99: number;
  requestP50?: number;
  requestP99?: number;
  /** CPU ms per completed operation, per process group (and the load generator). */
  cpuPerOpMs: Record<string, number>;
  /** Operations per CPU-second of each process group. */
  perCpuSecond: Record<string, number>;
  rssMaxMb: Record<string, number>;
  /**
   * Share of the machine's CPU (all cores) used by processes that are not part of the run
   * (neither the servers watched nor the load generator), median over the runs, %.
   */
  foreignCpuPct: number;
  /** Counter growth per completed operation (e.g. SQL statements per refresh). */
  countersPerOp: Record<string, number>;
}

function foreignPct(r: Watch<RunResult>): number {
  const ours = Object.values(r.cpuMs).reduce((a, b) => a + b, 0) + r.result.driverCpuMs;
  const capacity = r.wallMs * cpus().length;
  return capacity <= 0 ? 0 : Math.max(0, ((r.machineBusyMs - ours) / capacity) * 100);
}

function perOpCounters(runs: readonly Watch<RunResult>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  let ops = 0;
  for (const r of runs) {
    // Operations that ended after the deadline still ran: count every one that was started.
    ops += r.result.started ?? r.result.completed + r.result.errors;
    for (const [k, v] of Object.entries(r.counters)) sum[k] = (sum[k] ?? 0) + v;
  }
  return Object.fromEntries(
    Object.entries(sum).map(([k, v]) => [k, ops === 0 ? 0 : round(v / ops, 2)]),
  );
}

export function summarize(runs: readonly Watch<RunResult>[]): Summary {
  const done = runs.reduce((s, r) => s + r.result.completed, 0);
  const cpu: Record<string, number> = {};
  const rssMax: Record<string, number> = {};
  for (const r of runs) {
    for (const [k, v] of Object.entries(r.cpuMs)) cpu[k] = (cpu[k] ?? 0) + v;
    cpu['load generator'] = (cpu['load generator'] ?? 0) + r.result.driverCpuMs;
    for (const [k, v] of Object.entries(r.rssMaxMb)) rssMax[k] = Math.max(rssMax[k] ?? 0, v);
  }
  const perOp: Record<string, number> = {};
  const perSecond: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpu)) {
    perOp[k] = done === 0 ? 0 : round(v / done, 3);
    perSecond[k] = v === 0 ? 0 : round((done / v) * 1000, 1);
  }
  const requests = runs.map((r) => r.result.request).filter((x) => x !== undefined);
  return {
    rate: repeated(runs.map((r) => r.result.rate)),
    errors: runs.reduce((s, r) => s + r.result.errors, 0),
    firstErrors: runs.flatMap((r) => r.result.firstErrors ?? []).slice(0, 3),
    p50: round(median(runs.map((r) => r.result.latency.p50))),
    p99: round(median(runs.map((r) => r.result.latency.p99))),
    ...(requests.length === 0
      ? {}
      : {
          requestP50: round(median(requests.map((r) => r.p50))),
          requestP99: round(median(requests.map((r) => r.p99))),
        }),
    cpuPerOpMs: perOp,
    perCpuSecond: perSecond,
    rssMaxMb: rssMax,
    foreignCpuPct: round(median(runs.map(foreignPct)), 0),
    countersPerOp: perOpCounters(runs),
  };
}

/** % of the machine's CPU (all cores) busy over the next `ms`, this process excluded. */
export async function busyElsewherePct(ms: number): Promise<number> {
  const busy0 = machineBusyMs();
  const self0 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const self = process.cpuUsage(self0);
  const busy = machineBusyMs() - busy0 - (self.user + self.system) / 1000;
  return round(Math.max(0, (busy / (ms * cpus().length)) * 100), 0);
}
