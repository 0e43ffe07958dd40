import { join } from 'node:path';
import { createDatabase } from '../../test/support/postgres.js';
import { cannonRun, flowRun, type Target } from './load.js';
import type { RunResult, Watch } from './measure.js';
import { freePort } from '../../test/support/net.js';
import { interleaved, type Context, type Outcome } from './phases.js';
import { sigilTarget, type Discovered, type Environment } from './setup.js';
import type { RunningSigil } from './sigil.js';
import { repeated, type Repeated } from './stats.js';

/** Measurements of sigil alone: start-up, device flow, latency at half of peak, two processes. */

export interface ColdStart {
  freshDatabase: Repeated;
  existingDatabase: Repeated;
  /** Existing database with Node's module compile cache (NODE_COMPILE_CACHE) already warm. */
  existingDatabaseCompileCache: Repeated;
}

/**
 * Spawn to first discovery answer: on a fresh database (migrations and key generation
 * included) and on the existing one (a restart, or one more replica). The last process
 * started keeps running and is returned.
 */
export async function coldStartPhase(
  c: Context,
  env: Environment,
): Promise<{ cold: ColdStart; sigil: RunningSigil }> {
  // The first start on a fresh database creates the schema and keys of the database the
  // rest of the bench uses; one more fresh start (a second database) gives a second figure.
  const fresh: number[] = [];
  const existing: number[] = [];
  for (let i = 0; i < 2; i++) {
    c.progress(`cold start ${String(i + 1)}/2: fresh database`);
    const db = i === 0 ? 'sigil' : `fresh_${String(i)}`;
    if (i > 0) await createDatabase(env.pg.url, db);
    const port = i === 0 ? env.issuerPort : await freePort();
    const sg = await env.startSigil(db, port, `fresh-${String(i)}`);
    fresh.push(sg.startMs);
    await sg.stop();
  }
  // Node's compile cache (what `module.enableCompileCache()` in the entry point would give):
  // one start fills it, the next ones are measured.
  const cached: number[] = [];
  const cacheEnv = { NODE_COMPILE_CACHE: join(env.work, 'compile-cache') };
  for (let i = 0; i <= Math.min(2, c.s.repeats); i++) {
    c.progress(`cold start ${String(i)}/${String(Math.min(2, c.s.repeats))}: compile cache`);
    const sg = await env.startSigil('sigil', env.issuerPort, 'cached', { env: cacheEnv });
    if (i > 0) cached.push(sg.startMs);
    await sg.stop();
  }
  let sigil: RunningSigil | undefined;
  for (let i = 0; i < c.s.repeats; i++) {
    c.progress(`cold start ${String(i + 1)}/${String(c.s.repeats)}: existing database`);
    await sigil?.stop();
    sigil = await env.startSigil('sigil', env.issuerPort, 'sigil-1');
    existing.push(sigil.startMs);
  }
  if (sigil === undefined) throw new Error('sigil did not start');
  return {
    cold: {
      freshDatabase: repeated(fresh),
      existingDatabase: repeated(existing),
      existingDatabaseCompileCache: repeated(cached),
    },
    sigil,
  };
}

export async function devicePhase(c: Context, t: Target): Promise<Outcome> {
  if (t.client.endpoints.device === undefined)
    return {
      skipped:
        "sigil's discovery has no device_authorization_endpoint (device flow not available in this build)",
    };
  const out = await interleaved(c, 'device', {
    sigil: () =>
      flowRun(t, c.caFile, 'device', {
        concurrency: c.s.deviceConcurrency,
        durationMs: c.s.flowMs,
        firstUser: c.s.chains + 1,
        users: c.s.users - c.s.chains,
      }),
  });
  return out['sigil'] ?? { error: 'no result' };
}

/** Open-loop runs at half of the peak rates measured before. */
export async function halfPeakPhase(
  c: Context,
  t: Target,
  rates: { refresh?: number; login?: number; discovery?: number },
  chainsFile: string,
): Promise<Record<string, Outcome>> {
  const runs: Record<string, () => Promise<Watch<RunResult>>> = {};
  const { refresh, login, discovery } = rates;
  if (refresh !== undefined)
    runs['refresh'] = () =>
      flowRun(t, c.caFile, 'refresh', {
        concurrency: c.s.openLoopConcurrency,
        durationMs: c.s.flowMs,
        rate: refresh,
        firstUser: 1,
        users: c.s.chains,
        chainsFile,
      });
  if (login !== undefined)
    runs['login'] = () =>
      flowRun(t, c.caFile, 'login', {
        concurrency: c.s.openLoopConcurrency,
        durationMs: c.s.flowMs,
        rate: login,
        firstUser: c.s.chains + 1,
        users: c.s.users - c.s.chains,
      });
  if (discovery !== undefined)
    runs['discovery'] = () =>
      cannonRun(t, c.caFile, '/.well-known/openid-configuration', {
        connections: c.s.connections,
        durationSec: c.s.endpointSec,
        overallRate: discovery,
      });
  return interleaved(c, 'half of peak', runs);
}

/**
 * A second sigil on the same PostgreSQL, refresh grants (the token endpoint, the steady load)
 * alternating between the two processes. Logins with two processes are measured only with
 * BENCH_TWO_LOGIN=1, to keep the whole run under 10 minutes.
 */
export async function twoProcessPhase(
  c: Context,
  env: Environment,
  first: RunningSigil,
  info: Discovered,
  chainsFile: string,
): Promise<{ login?: Outcome; refresh: Outcome }> {
  c.progress('two processes: starting a second sigil');
  const second = await env.startSigil('sigil', await freePort(), 'sigil-2');
  try {
    const both = sigilTarget(env, 'sigil x2', [first, second], info);
    const runs: Record<string, () => Promise<Watch<RunResult>>> = {};
    if (process.env['BENCH_TWO_LOGIN'] === '1')
      runs['login'] = () =>
        flowRun(both, c.caFile, 'login', {
          concurrency: c.s.loginConcurrency,
          durationMs: c.s.flowMs,
          firstUser: c.s.chains + 1,
          users: c.s.users - c.s.chains,
        });
    const out = await interleaved(c, 'two processes', {
      ...runs,
      refresh: () =>
        flowRun(both, c.caFile, 'refresh', {
          concurrency: c.s.refreshConcurrency,
          durationMs: c.s.flowMs,
          firstUser: 1,
          users: c.s.chains,
          chainsFile,
        }),
    });
    return {
      ...(out['login'] === undefined ? {} : { login: out['login'] }),
      refresh: out['refresh'] ?? { error: 'no result' },
    };
  } finally {
    await second.stop();
  }
}
