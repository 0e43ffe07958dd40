import type { CannonParams, CannonResult } from '../workers/cannon.js';
import type { DriverParams, DriverResult } from '../workers/driver.js';
import { worker } from './children.js';
import type { FlowClient } from './flows.js';
import { watch, type Counters, type RunResult, type Watch, type Watched } from './measure.js';

/** One server under load (sigil with one or two processes, or the bare oidc-provider). */
export interface Target {
  name: string;
  bases: string[];
  client: FlowClient;
  watched: Watched[];
  /** Counters read before and after each run (statements, directory operations). */
  counters?: Counters;
}

export interface FlowOptions {
  concurrency: number;
  durationMs: number;
  firstUser: number;
  users: number;
  rate?: number;
  chainsFile?: string;
}

function driverParams(
  t: Target,
  caFile: string,
  mode: DriverParams['mode'],
  o: FlowOptions,
): DriverParams {
  return {
    mode,
    bases: t.bases,
    caFile,
    client: t.client,
    firstUser: o.firstUser,
    users: o.users,
    concurrency: o.concurrency,
    durationMs: o.durationMs,
    ...(o.rate === undefined ? {} : { rate: o.rate }),
    ...(o.chainsFile === undefined ? {} : { chainsFile: o.chainsFile }),
  };
}

export async function flowRun(
  t: Target,
  caFile: string,
  mode: 'login' | 'refresh' | 'device',
  o: FlowOptions,
): Promise<Watch<RunResult>> {
  return watch(
    t.watched,
    async () => {
      const r = await worker<DriverResult>('workers/driver.ts', driverParams(t, caFile, mode, o), {
        timeoutMs: o.durationMs + 90_000,
      });
      return {
        rate: r.rate,
        completed: r.completed,
        started: r.started,
        errors: r.errors,
        latency: r.flow,
        request: r.request,
        firstErrors: r.firstErrors,
        driverCpuMs: r.cpuMs,
      };
    },
    t.counters,
  );
}

/** Logs `count` users in and keeps their refresh tokens in `chainsFile` (not measured). */
export async function prepareChains(
  t: Target,
  caFile: string,
  count: number,
  chainsFile: string,
  firstUser: number,
): Promise<DriverResult> {
  const r = await worker<DriverResult>(
    'workers/driver.ts',
    {
      ...driverParams(t, caFile, 'prepare', {
        concurrency: 16,
        durationMs: 120_000,
        firstUser,
        users: count,
        chainsFile,
      }),
      prepare: count,
    },
    { timeoutMs: 180_000 },
  );
  if (r.completed < count)
    throw new Error(
      `${t.name}: only ${String(r.completed)} of ${String(count)} logins for refresh tokens worked: ${r.firstErrors.join(' | ')}`,
    );
  return r;
}

export async function cannonRun(
  t: Target,
  caFile: string,
  path: string,
  o: { connections: number; durationSec: number; overallRate?: number },
): Promise<Watch<RunResult>> {
  const base = t.bases[0] ?? '';
  return watch(
    t.watched,
    async () => {
      const r = await worker<CannonResult>(
        'workers/cannon.ts',
        {
          url: `${base}${path}`,
          caFile,
          connections: o.connections,
          durationSec: o.durationSec,
          ...(o.overallRate === undefined ? {} : { overallRate: o.overallRate }),
        } satisfies CannonParams,
        { timeoutMs: o.durationSec * 1000 + 60_000 },
      );
      return {
        rate: r.rate,
        completed: r.total - r.non2xx,
        started: r.total,
        errors: r.non2xx + r.errors,
        latency: r.latency,
        driverCpuMs: r.cpuMs,
      };
    },
    t.counters,
  );
}
