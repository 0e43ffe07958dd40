import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { report, workerParams } from '../lib/children.js';

/**
 * autocannon in a process of its own, for single-endpoint rates (discovery, JWKS): keep-alive
 * connections, no pipelining, optionally at a fixed overall rate (for latency at half of peak).
 */
export interface CannonParams {
  url: string;
  caFile: string;
  connections: number;
  durationSec: number;
  overallRate?: number;
}

export interface CannonResult {
  rate: number;
  total: number;
  non2xx: number;
  errors: number;
  latency: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  cpuMs: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: {
    average: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
    max: number;
  };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  '2xx': number;
}

type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const p = workerParams<CannonParams>();
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const cpu0 = process.cpuUsage();
const r = await autocannon({
  url: p.url,
  connections: p.connections,
  duration: p.durationSec,
  pipelining: 1,
  tlsOptions: { ca: readFileSync(p.caFile, 'utf8') },
  ...(p.overallRate === undefined ? {} : { overallRate: p.overallRate }),
});
const cpu = process.cpuUsage(cpu0);
report({
  rate: Math.round((r['2xx'] / r.duration) * 10) / 10,
  total: r.requests.total,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
  latency: {
    mean: r.latency.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    max: r.latency.max,
  },
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
} satisfies CannonResult);
