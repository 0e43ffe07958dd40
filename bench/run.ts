import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, cleanupAll, killAllNow, onCleanup, rssMb } from './lib/children.js';
import { pgRestartPhase, rotationPhase } from './lib/fault-phases.js';
import { busyElsewherePct } from './lib/measure.js';
import { freePort } from '../test/support/net.js';
import { chainsFor, limitsPhase, peakPhase, type Context, type Outcome } from './lib/phases.js';
import { profilePhase } from './lib/profile.js';
import { writeReport, type Results } from './lib/report.js';
import { settings } from './lib/settings.js';
import {
  bareTarget,
  discover,
  environment,
  modulusBits,
  sigilTarget,
  startBare,
} from './lib/setup.js';
import { connectorConfig, heapProbe, logProblems } from './lib/sigil.js';
import { coldStartPhase, devicePhase, halfPeakPhase, twoProcessPhase } from './lib/sigil-phases.js';

/**
 * `npm run bench`: sigil against the signing limit, the directory, the database and a bare
 * oidc-provider, in one run on 127.0.0.1. bench/README.md says what each figure means.
 * BENCH_PHASES=limits,peak,device,half,two,rotation,pgrestart,profile picks phases (default:
 * all but profile; BENCH_PROFILE=1 adds profile); BENCH_QUICK=1 is a short smoke run.
 */
const s = settings();
const t0 = Date.now();
const progress = (msg: string) => {
  process.stderr.write(`[${String(Math.round((Date.now() - t0) / 1000)).padStart(3)}s] ${msg}\n`);
};
const ALL = ['limits', 'peak', 'device', 'half', 'two', 'rotation', 'pgrestart'];
const phases = new Set(
  process.env['BENCH_PHASES']?.split(',').map((x) => x.trim()) ?? [
    ...ALL,
    ...(s.profile ? ['profile'] : []),
  ],
);
// Both servers run as in production.
process.env['NODE_ENV'] = 'production';

const rateOf = (o: Outcome | undefined, div = 1) =>
  o !== undefined && 'rate' in o ? Math.max(1, Math.round(o.rate.median / div)) : undefined;

async function main(): Promise<void> {
  const busy = await busyElsewherePct(1000);
  progress(`machine: ${String(busy)}% of CPU busy before the bench started`);
  if (busy > 20)
    progress('warning: other work is running on this machine; figures will be low and noisy');
  const work = mkdtempSync(join(tmpdir(), 'sigil-bench-'));
  onCleanup(() => {
    rmSync(work, { recursive: true, force: true });
  });
  const c: Context = { s, caFile: '', work, progress };
  progress(`setup: TLS, PostgreSQL, slapd with ${String(s.users)} users`);
  const env = await environment(work, s.users);
  c.caFile = env.tls.caFile;

  const { cold, sigil } = await coldStartPhase(c, env);
  const rssAtStart = rssMb(sigil.pid);
  const info = await discover(sigil.url, env.ca);
  const bits = await modulusBits(sigil.url, env.ca, info.jwks);
  const bare = await startBare(env, bits);
  const targets = { bare: bareTarget(bare), sigil: sigilTarget(env, 'sigil', [sigil], info) };

  const results: Results = {
    date: new Date().toISOString(),
    settings: s,
    busyBeforePct: busy,
    coldStart: cold,
    modulusBits: bits,
    memory: { atStartMb: rssAtStart, idleMb: rssAtStart },
    elapsedSec: 0,
  };
  if (phases.has('limits'))
    results.limits = await limitsPhase(c, {
      modulusBits: bits,
      pgUrl: env.pg.databaseUrl('limits'),
      postmasterPid: env.pg.pid(),
      slapdPid: env.slapd.pid,
      ldapsUrl: env.slapd.ldapsUrl,
      connectorConfig: connectorConfig({ tls: env.tls, ldapsUrl: env.slapd.ldapsUrl }),
    });
  const chains = {
    bare: await chainsFor(c, targets.bare, 'bare'),
    sigil: await chainsFor(c, targets.sigil, 'sigil'),
  };
  results.memory.idleMb = rssMb(sigil.pid);
  results.memory.idleHeap = await heapProbe(sigil.url, env.ca);
  if (phases.has('peak'))
    results.peak = await peakPhase(
      c,
      targets,
      chains,
      { bare: { jwks: bare.info.jwks }, sigil: { jwks: info.jwks } },
      // Where sigil's memory is after each kind of load (its own /metrics).
      async (what) => {
        (results.memory.afterPhase ??= {})[what] = await heapProbe(sigil.url, env.ca);
      },
    );
  if (phases.has('device')) results.device = await devicePhase(c, targets.sigil);
  if (phases.has('half')) {
    const p = results.peak;
    const rates = {
      refresh: rateOf(p?.['refresh']?.['sigil'], 2),
      login: rateOf(p?.['login']?.['sigil'], 2),
      discovery: rateOf(p?.['discovery']?.['sigil'], 2),
    };
    results.halfPeakRates = rates;
    results.halfPeak = await halfPeakPhase(
      c,
      targets.sigil,
      Object.fromEntries(Object.entries(rates).filter(([, v]) => v !== undefined)),
      chains.sigil,
    );
  }
  results.memory.afterLoadHeap = await heapProbe(sigil.url, env.ca);
  if (phases.has('two'))
    results.twoProcesses = await twoProcessPhase(c, env, sigil, info, chains.sigil);
  if (phases.has('rotation')) results.rotation = await rotationPhase(c, env, info);
  if (phases.has('pgrestart')) results.pgRestart = await pgRestartPhase(c, env, sigil, info);
  if (phases.has('profile'))
    results.profile = await profilePhase(c, {
      start: async (name, nodeArgs) =>
        env.startSigil('sigil', await freePort(), name, { nodeArgs }),
      target: targets.sigil,
      chainsFile: chains.sigil,
      resultsDir: join(BENCH_DIR, 'results'),
    });
  // The database outage's errors are expected: the pgrestart phase reports them itself.
  const p = results.pgRestart;
  results.sigilLogProblems = logProblems(env.logFile, {
    skip: p === undefined || 'error' in p ? [] : [p.logRange],
  });
  results.elapsedSec = Math.round((Date.now() - t0) / 1000);
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  writeReport(results, join(BENCH_DIR, 'results'));
}

const state = { interrupted: false };
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (state.interrupted) return;
    state.interrupted = true;
    progress(`${signal}: stopping everything`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
process.on('exit', killAllNow);

try {
  await main();
} catch (err) {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
} finally {
  if (!state.interrupted) {
    progress('stopping everything');
    await cleanupAll();
  }
}
