import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChainsParams, ChainsResult, ChainEvent } from '../workers/chains.js';
import { worker } from './children.js';
import { prepareChains, type Target } from './load.js';
import { summarize, watch, type Summary } from './measure.js';
import { freePort } from '../../test/support/net.js';
import type { Context } from './phases.js';
import { adminQuery, createDatabase } from '../../test/support/postgres.js';
import { sigilTarget, type Discovered, type Environment } from './setup.js';
import { BENCH_KEYS, getJson, logProblems, logSize, type RunningSigil } from './sigil.js';
import { round } from './stats.js';

/**
 * Error counts under faults, two sigil processes on one PostgreSQL (refresh grants alternating
 * between them, as in the two-process phase), a bounded load of virtual users that each keep
 * their refresh-token chain (bench/workers/chains.ts), and every id_token verified by a
 * verifier that caches the JWKS:
 * - rotation: signing keys rotate several times under the load (short rotation period);
 * - pgrestart: the bench's PostgreSQL is stopped and started again under the load.
 * Both are bounded in time and stop what they started.
 */

/** What the virtual users saw, in both fault phases. */
export interface FaultLoad {
  processes: number;
  users: number;
  pauseMs: number;
  loadMs: number;
  requests: number;
  ok: number;
  /** Non-200 answers by status ('0': no HTTP answer). */
  httpErrors: Record<string, number>;
  errorCodes: Record<string, number>;
  errorSamples: Record<string, string[]>;
  tokensVerified: number;
  verifyFailures: number;
  verifySamples: string[];
  jwksFetches: number;
  jwksMaxAgeSec: number | undefined;
  /** Chains whose last committed refresh token no longer refreshes after the load. */
  chainsLost: number;
  lostSamples: string[];
  /** Rate, request latency, CPU, busy elsewhere (the usual run summary). */
  summary: Summary;
}

export interface RotationResult extends FaultLoad {
  keys: { rotationPeriod: string; leadTime: string };
  /** Distinct signing keys in the id_tokens, minus one. */
  rotations: number;
  kids: { kid: string; tokens: number; firstAtMs: number; activationToFirstTokenMs?: number }[];
  /** Keys activated in the database during the load (whatever the tokens showed). */
  rotationsInDatabase: number;
}

export interface PgRestartResult extends FaultLoad {
  /** From `pg_ctl stop` to PostgreSQL accepting connections again. */
  outageMs: number;
  /** How long `pg_ctl stop -m fast` and `pg_ctl start -w` took. */
  stopMs: number;
  startMs: number;
  /** After the stop began: when each process's /readyz answered 503 (undefined: never seen). */
  notReadyAfterMs: (number | undefined)[];
  /** From PostgreSQL accepting connections to the first 200 of the load. */
  firstSuccessAfterMs: number | undefined;
  /** From PostgreSQL accepting connections to both processes' /readyz answering 200. */
  readyAfterMs: number | undefined;
  /** Failed requests by status: before the stop, during the outage (until the first 200 after it), after. */
  before: Record<string, number>;
  during: Record<string, number>;
  after: Record<string, number>;
  slowestDuringMs: number;
  /** sigil's warnings and errors logged during this phase (expected while the database is down). */
  logProblems: Record<string, { count: number; first: string }>;
  /** Byte range of the sigil log this phase wrote (left out of the run's log problems). */
  logRange: [number, number];
}

export type FaultOutcome<T> = T | { error: string };

const USERS = 16;
const PAUSE_MS = 200;
const RETRY_MS = 250;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function byStatus(events: readonly ChainEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [, , status] of events) if (status !== 200) out[status] = (out[status] ?? 0) + 1;
  return out;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * Runs the virtual users against `t` with its chains; `during(stop)` runs alongside and calls
 * `stop()` when the load should end (otherwise it ends by itself).
 */
async function chainsRun(
  c: Context,
  t: Target,
  chainsFile: string,
  o: Pick<ChainsParams, 'durationMs' | 'untilKids' | 'settleMs' | 'verify'>,
  during?: (stop: () => void) => Promise<void>,
): Promise<{ r: ChainsResult; load: FaultLoad }> {
  let pid = 0;
  const w = await watch(t.watched, async () => {
    const running = worker<ChainsResult>(
      'workers/chains.ts',
      {
        bases: t.bases,
        caFile: c.caFile,
        client: t.client,
        chainsFile,
        pauseMs: PAUSE_MS,
        retryMs: RETRY_MS,
        durationMs: o.durationMs,
        verify: o.verify,
        ...(o.untilKids === undefined ? {} : { untilKids: o.untilKids }),
        ...(o.settleMs === undefined ? {} : { settleMs: o.settleMs }),
      } satisfies ChainsParams,
      { timeoutMs: o.durationMs + 60_000, onSpawn: (p) => (pid = p) },
    );
    // The worker's result (or failure) is awaited below; this keeps an early failure handled.
    running.catch(() => undefined);
    if (during !== undefined)
      await during(() => {
        if (pid !== 0) process.kill(pid, 'SIGUSR2');
      });
    return running;
  });
  const r = w.result;
  const ok = r.events.filter((e) => e[2] === 200).length;
  const httpErrors = byStatus(r.events);
  const errors = sum(httpErrors);
  const summary = summarize([
    {
      ...w,
      result: {
        rate: round((ok / r.elapsedMs) * 1000, 1),
        completed: ok,
        started: r.events.length,
        errors,
        latency: r.request,
        request: r.request,
        firstErrors: Object.values(r.errorSamples).flat().slice(0, 3),
        driverCpuMs: r.cpuMs,
      },
    },
  ]);
  return {
    r,
    load: {
      processes: t.bases.length,
      users: r.users,
      pauseMs: PAUSE_MS,
      loadMs: r.elapsedMs,
      requests: r.events.length,
      ok,
      httpErrors,
      errorCodes: r.errorCodes,
      errorSamples: r.errorSamples,
      tokensVerified: r.verified + r.verifyFailures,
      verifyFailures: r.verifyFailures,
      verifySamples: r.verifySamples,
      jwksFetches: r.jwksFetches,
      jwksMaxAgeSec: r.jwksMaxAgeSec,
      chainsLost: r.finalFailures.length,
      lostSamples: r.finalFailures.slice(0, 5),
      summary,
    },
  };
}

/** What every id_token is verified against: the bench's issuer, the client, the JWKS path. */
const verifyOf = (env: Environment, info: Discovered) => ({
  issuer: `https://127.0.0.1:${String(env.issuerPort)}`,
  audience: 'kubectl',
  jwksPath: info.jwks,
});

async function freshChains(c: Context, t: Target, name: string): Promise<string> {
  const file = join(c.work, `chains-${name}.json`);
  c.progress(`${name}: ${String(USERS)} logins for the virtual users' refresh tokens`);
  await prepareChains(t, c.caFile, USERS, file, 1);
  return file;
}

/**
 * Two fresh sigil processes on a database of their own with a short key rotation period (4 s,
 * lead time 2 s: a key is published 2 s plus the replicas' propagation margin before it signs,
 * so a rotation every 7-9 s). The load runs until the tokens show `rotations` rotations (3; 1
 * with BENCH_QUICK) and 2 s more, at most 32 s.
 */
export async function rotationPhase(
  c: Context,
  env: Environment,
  info: Discovered,
): Promise<FaultOutcome<RotationResult>> {
  const rotations = c.s.quick ? 1 : 3;
  const keys = { rotationPeriod: '4s', leadTime: '2s' };
  const db = 'rotation';
  c.progress(`key rotation: two sigil processes, rotation period ${keys.rotationPeriod}`);
  const procs: RunningSigil[] = [];
  try {
    await createDatabase(env.pg.url, db);
    const config = { keys: { ...BENCH_KEYS, ...keys } };
    // The first creates the schema and the first keys; the second starts on them.
    procs.push(await env.startSigil(db, await freePort(), 'rotation-1', { config }));
    procs.push(await env.startSigil(db, await freePort(), 'rotation-2', { config }));
    const t = sigilTarget(env, 'sigil x2 rotating', procs, info);
    const chainsFile = await freshChains(c, t, 'rotation');
    c.progress(`key rotation: load until ${String(rotations)} rotation(s) (at most 32 s)`);
    const startedAt = new Date();
    const { r, load } = await chainsRun(c, t, chainsFile, {
      durationMs: c.s.quick ? 20_000 : 32_000,
      untilKids: rotations + 1,
      settleMs: 2000,
      verify: verifyOf(env, info),
    });
    const rows = await adminQuery(
      env.pg.databaseUrl(db),
      `SELECT kid, activated_at FROM signing_keys WHERE activated_at IS NOT NULL`,
    );
    const activated = new Map(rows.map((x) => [String(x['kid']), +(x['activated_at'] as Date)]));
    const rotationsInDatabase = rows.filter(
      (x) => +(x['activated_at'] as Date) > +startedAt,
    ).length;
    return {
      ...load,
      keys,
      rotations: Math.max(0, r.kids.length - 1),
      kids: r.kids.map((k) => {
        const at = activated.get(k.kid);
        return {
          ...k,
          ...(at === undefined || at < r.t0
            ? {}
            : { activationToFirstTokenMs: r.t0 + k.firstAtMs - at }),
        };
      }),
      rotationsInDatabase,
    };
  } catch (err) {
    c.progress(`key rotation failed: ${message(err)}`);
    return { error: message(err) };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

async function readyStatus(url: string, ca: string): Promise<number> {
  return (await getJson(`${url}/readyz`, ca).catch(() => ({ status: 0 }))).status;
}

/**
 * The running sigil and a second process on the bench database, the load running; PostgreSQL
 * is stopped (`pg_ctl stop -m fast`), kept down 4 s (2 s with BENCH_QUICK), started again;
 * the load goes on until both processes are ready again and 5 s (2 s) more.
 */
export async function pgRestartPhase(
  c: Context,
  env: Environment,
  first: RunningSigil,
  info: Discovered,
): Promise<FaultOutcome<PgRestartResult>> {
  const warmMs = c.s.quick ? 1500 : 3000;
  const downMs = c.s.quick ? 2000 : 4000;
  const afterMs = c.s.quick ? 2000 : 5000;
  const logFrom = logSize(env.logFile);
  let second: RunningSigil | undefined;
  // Set inside the load's timeline (a closure): an object, so the finally below sees it.
  const pgState = { halted: false };
  try {
    c.progress('PostgreSQL restart: starting a second sigil');
    second = await env.startSigil('sigil', await freePort(), 'sigil-2');
    const procs = [first, second];
    const t = sigilTarget(env, 'sigil x2', procs, info);
    const chainsFile = await freshChains(c, t, 'pgrestart');
    const times = {
      haltedAt: 0,
      stoppedAt: 0,
      restartAt: 0,
      upAt: 0,
      notReady: [] as (number | undefined)[],
      readyAt: undefined as number | undefined,
    };
    const { r, load } = await chainsRun(
      c,
      t,
      chainsFile,
      { durationMs: 60_000, verify: verifyOf(env, info) },
      async (stop) => {
        try {
          await sleep(warmMs);
          c.progress(`PostgreSQL restart: stopping PostgreSQL for ${String(downMs / 1000)} s`);
          times.haltedAt = Date.now();
          env.pg.halt();
          pgState.halted = true;
          times.stoppedAt = Date.now();
          // Each process reports not ready while the database is down.
          times.notReady = await Promise.all(
            procs.map(async (p) => {
              while (Date.now() - times.haltedAt < downMs) {
                if ((await readyStatus(p.url, env.ca)) === 503) return Date.now() - times.haltedAt;
                await sleep(100);
              }
              return undefined;
            }),
          );
          await sleep(Math.max(0, times.haltedAt + downMs - Date.now()));
          times.restartAt = Date.now();
          env.pg.restart();
          pgState.halted = false;
          times.upAt = Date.now();
          c.progress('PostgreSQL restart: PostgreSQL is back');
          while (Date.now() - times.upAt < 20_000) {
            const s = await Promise.all(procs.map((p) => readyStatus(p.url, env.ca)));
            if (s.every((x) => x === 200)) {
              times.readyAt = Date.now();
              break;
            }
            await sleep(100);
          }
          await sleep(afterMs);
        } finally {
          stop();
        }
      },
    );
    const logTo = logSize(env.logFile);
    // Times relative to the worker's start, as its events are.
    const halt = times.haltedAt - r.t0;
    const up = times.upAt - r.t0;
    const firstOk = r.events
      .filter((e) => e[0] >= up && e[2] === 200)
      .reduce((m, e) => Math.min(m, e[1]), Infinity);
    const recovered = Number.isFinite(firstOk) ? firstOk : Infinity;
    const failed = r.events.filter((e) => e[2] !== 200);
    const during = failed.filter((e) => e[1] >= halt && e[0] <= recovered);
    return {
      ...load,
      outageMs: times.upAt - times.haltedAt,
      stopMs: times.stoppedAt - times.haltedAt,
      startMs: times.upAt - times.restartAt,
      notReadyAfterMs: times.notReady,
      firstSuccessAfterMs: Number.isFinite(firstOk) ? firstOk - up : undefined,
      readyAfterMs: times.readyAt === undefined ? undefined : times.readyAt - times.upAt,
      before: byStatus(failed.filter((e) => e[1] < halt)),
      during: byStatus(during),
      after: byStatus(failed.filter((e) => e[0] > recovered)),
      slowestDuringMs: during.reduce((m, e) => Math.max(m, e[1] - e[0]), 0),
      logProblems: logProblems(env.logFile, { within: [logFrom, logTo] }),
      logRange: [logFrom, logTo],
    };
  } catch (err) {
    c.progress(`PostgreSQL restart failed: ${message(err)}`);
    return { error: message(err) };
  } finally {
    if (pgState.halted) env.pg.restart();
    await second?.stop();
  }
}
