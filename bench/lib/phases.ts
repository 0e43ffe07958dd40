import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { worker } from './children.js';
import { cannonRun, flowRun, prepareChains, type Target } from './load.js';
import { summarize, type RunResult, type Summary, type Watch } from './measure.js';
import type { Settings } from './settings.js';
import { median, repeated, round, type Repeated } from './stats.js';

/** The measurements, each a function of what is running; run.ts puts them in order. */

export type Outcome = Summary | { error: string } | { skipped: string };

export interface Context {
  s: Settings;
  caFile: string;
  work: string;
  progress: (msg: string) => void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Runs each named run `repeats` times, interleaved (A, B, A, B, ...) so that both peers see the
 * same machine state, and summarizes each. A run that throws is reported, not fatal.
 */
export async function interleaved(
  c: Context,
  label: string,
  runs: Record<string, () => Promise<Watch<RunResult>>>,
): Promise<Record<string, Outcome>> {
  const done: Record<string, Watch<RunResult>[]> = {};
  const failed: Record<string, string> = {};
  for (let rep = 0; rep < c.s.repeats; rep++) {
    for (const [name, run] of Object.entries(runs)) {
      if (failed[name] !== undefined) continue;
      c.progress(`${label}: ${name} run ${String(rep + 1)}/${String(c.s.repeats)}`);
      try {
        (done[name] ??= []).push(await run());
      } catch (err) {
        failed[name] = message(err);
        c.progress(`${label}: ${name} failed: ${failed[name]}`);
      }
    }
  }
  const out: Record<string, Outcome> = {};
  for (const name of Object.keys(runs)) {
    const ok = done[name] ?? [];
    const error = failed[name];
    out[name] = ok.length > 0 ? summarize(ok) : { error: error ?? 'no run completed' };
  }
  return out;
}

export type Limit = Repeated & {
  /** CPU ms per operation of the measuring process (median over the runs). */
  cpuPerOpMs?: number;
  /** CPU ms per operation of the server measured (PostgreSQL), median. */
  serverCpuPerOpMs?: number;
  groups?: number[];
  errors?: number;
  firstError?: string;
};

export interface Limits {
  jwt: Record<string, Limit | { error: string }>;
  postgres: Limit | { error: string };
  postgresNamed?: Limit | { error: string };
  ldap: Record<string, Limit | { error: string }>;
}

interface LimitResult {
  rate: number;
  cpuPerOpMs?: number;
  serverCpuPerOpMs?: number;
  errors?: number;
  firstError?: string;
  groups?: number[];
}

function limitOf(runs: readonly LimitResult[]): Limit {
  const cpu = runs.map((r) => r.cpuPerOpMs).filter((x) => x !== undefined);
  const server = runs.map((r) => r.serverCpuPerOpMs).filter((x) => x !== undefined);
  return {
    ...repeated(runs.map((r) => r.rate)),
    ...(cpu.length === 0 ? {} : { cpuPerOpMs: round(median(cpu), 3) }),
    ...(server.length === 0 ? {} : { serverCpuPerOpMs: round(median(server), 3) }),
  };
}

async function repeatWorker(
  c: Context,
  label: string,
  script: string,
  params: Record<string, unknown>,
  durationMs: number,
): Promise<LimitResult[]> {
  // One process runs the repeats one after the other (set-up once, start-up paid once).
  c.progress(`limits: ${label}, ${String(c.s.repeats)} runs`);
  const r = await worker<{ runs: LimitResult[] }>(
    script,
    { ...params, repeats: c.s.repeats },
    { timeoutMs: durationMs * c.s.repeats + 60_000 },
  );
  return r.runs;
}

export async function limitsPhase(
  c: Context,
  o: {
    modulusBits: number;
    pgUrl: string;
    postmasterPid: number;
    slapdPid: number;
    ldapsUrl: string;
    connectorConfig: object;
  },
): Promise<Limits> {
  const limits: Limits = { jwt: {}, postgres: { error: 'not run' }, ldap: {} };
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    try {
      const runs = await repeatWorker(
        c,
        `jwt ${alg}`,
        'workers/jwt.ts',
        { alg, modulusBits: o.modulusBits, durationMs: c.s.jwtMs },
        c.s.jwtMs,
      );
      limits.jwt[alg] = limitOf(runs);
    } catch (err) {
      limits.jwt[alg] = { error: message(err) };
    }
  }
  for (const named of [false, true]) {
    const label = named ? 'postgresNamed' : 'postgres';
    try {
      const runs = await repeatWorker(
        c,
        label,
        'workers/pg.ts',
        {
          url: o.pgUrl,
          named,
          postmasterPid: o.postmasterPid,
          poolSize: 10,
          concurrency: 32,
          durationMs: c.s.limitMs,
        },
        c.s.limitMs,
      );
      limits[label] = limitOf(runs);
    } catch (err) {
      limits[label] = { error: message(err) };
    }
  }
  for (const kind of ['raw-login', 'sigil-login', 'raw-refresh', 'sigil-refresh']) {
    try {
      const runs = await repeatWorker(
        c,
        `ldap ${kind}`,
        'workers/ldap.ts',
        {
          kind,
          ldapsUrl: o.ldapsUrl,
          caFile: c.caFile,
          connectorConfig: o.connectorConfig,
          users: c.s.users,
          concurrency: c.s.ldapConcurrency,
          poolSize: 4,
          durationMs: c.s.limitMs,
          slapdPid: o.slapdPid,
        },
        c.s.limitMs,
      );
      const errors = runs.reduce((sum, r) => sum + (r.errors ?? 0), 0);
      const firstError = runs.find((r) => r.firstError !== undefined)?.firstError;
      limits.ldap[kind] = {
        ...limitOf(runs),
        groups: [...new Set(runs.flatMap((r) => r.groups ?? []))],
        errors,
        ...(firstError === undefined ? {} : { firstError }),
      };
    } catch (err) {
      limits.ldap[kind] = { error: message(err) };
    }
  }
  return limits;
}

/** Refresh-token chains for a target, in a file the refresh runs read and write back. */
export async function chainsFor(c: Context, t: Target, name: string): Promise<string> {
  const file = join(c.work, `chains-${name}.json`);
  c.progress(`${t.name}: ${String(c.s.chains)} logins for refresh tokens (warm-up)`);
  await prepareChains(t, c.caFile, c.s.chains, file, 1);
  return file;
}

/** Peak rates of the flows and endpoints, the two peers side by side. */
export async function peakPhase(
  c: Context,
  targets: Record<string, Target>,
  chains: Record<string, string>,
  paths: Record<string, { jwks: string }>,
  afterEach?: (what: string) => Promise<void>,
): Promise<Record<string, Record<string, Outcome>>> {
  const loginUsers = { firstUser: c.s.chains + 1, users: c.s.users - c.s.chains };
  const each = (f: (name: string, t: Target) => () => Promise<Watch<RunResult>>) =>
    Object.fromEntries(Object.entries(targets).map(([name, t]) => [name, f(name, t)]));
  // One run per peer for each measurement, in this order; each is interleaved across peers.
  const runs: Record<string, (name: string, t: Target) => Promise<Watch<RunResult>>> = {
    login: (_, t) =>
      flowRun(t, c.caFile, 'login', {
        concurrency: c.s.loginConcurrency,
        durationMs: c.s.flowMs,
        ...loginUsers,
      }),
    refresh: (name, t) =>
      flowRun(t, c.caFile, 'refresh', {
        concurrency: c.s.refreshConcurrency,
        durationMs: c.s.flowMs,
        firstUser: 1,
        users: c.s.chains,
        chainsFile: chains[name] ?? '',
      }),
    discovery: (_, t) =>
      cannonRun(t, c.caFile, '/.well-known/openid-configuration', {
        connections: c.s.connections,
        durationSec: c.s.endpointSec,
      }),
    jwks: (name, t) =>
      cannonRun(t, c.caFile, paths[name]?.jwks ?? '/jwks', {
        connections: c.s.connections,
        durationSec: c.s.endpointSec,
      }),
  };
  const out: Record<string, Record<string, Outcome>> = {};
  for (const [what, run] of Object.entries(runs)) {
    out[what] = await interleaved(
      c,
      what,
      each((name, t) => () => run(name, t)),
    );
    await afterEach?.(what);
  }
  return out;
}

/** Copies a CPU profile next to the results (named .cpuprofile.json: git ignores it). */
export function keepProfile(from: string, to: string): string | undefined {
  if (!existsSync(from)) return undefined;
  copyFileSync(from, to);
  return to;
}
