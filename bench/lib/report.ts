import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { FaultLoad, FaultOutcome, PgRestartResult, RotationResult } from './fault-phases.js';
import type { Summary } from './measure.js';
import type { Limit, Limits, Outcome } from './phases.js';
import type { ProfileSummary } from './profile.js';
import type { Settings } from './settings.js';
import type { ColdStart } from './sigil-phases.js';
import type { HeapProbe } from './sigil.js';
import { round } from './stats.js';

/** Everything one run measured; phases left out by BENCH_PHASES are absent. */
export interface Results {
  date: string;
  settings: Settings;
  /** % of the CPU other processes used in the second before the bench started. */
  busyBeforePct: number;
  limits?: Limits;
  /** peak[scenario][peer] */
  peak?: Record<string, Record<string, Outcome>>;
  device?: Outcome;
  halfPeak?: Record<string, Outcome>;
  halfPeakRates?: Record<string, number | undefined>;
  twoProcesses?: { login?: Outcome; refresh: Outcome };
  /** Refresh load on two processes while signing keys rotate; while PostgreSQL restarts. */
  rotation?: FaultOutcome<RotationResult>;
  pgRestart?: FaultOutcome<PgRestartResult>;
  memory: {
    atStartMb: number;
    idleMb: number;
    /** sigil's /metrics after start-up and 128 logins, and after the load phases. */
    idleHeap?: HeapProbe | undefined;
    afterLoadHeap?: HeapProbe | undefined;
    /** sigil's /metrics after each peak scenario (login, refresh, discovery, JWKS). */
    afterPhase?: Record<string, HeapProbe | undefined>;
  };
  coldStart: ColdStart;
  modulusBits: number;
  profile?: Record<string, ProfileSummary | { error: string }>;
  /** sigil's warning and error log lines during the run, by message. */
  sigilLogProblems?: Record<string, { count: number; first: string }>;
  elapsedSec: number;
}

export interface Goal {
  goal: string;
  value: string;
  holds: boolean | undefined;
}

const ok = (o: Outcome | undefined): o is Summary => o !== undefined && 'rate' in o;
const okLimit = (x: Limit | { error: string } | undefined): x is Limit =>
  x !== undefined && 'median' in x;
const rateOf = (o: Outcome | undefined) => (ok(o) ? o.rate.median : undefined);
const limitRate = (x: Limit | { error: string } | undefined) => (okLimit(x) ? x.median : undefined);
const pct = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : round((a / b) * 100, 0);
const show = (x: number | undefined, unit = '') =>
  x === undefined ? 'n/a' : `${String(x)}${unit}`;

const HEADER = [
  'scenario',
  'peer',
  'median/s',
  'min/s',
  'p50 ms',
  'p99 ms',
  'CPU ms/op',
  'SQL (all) / LDAP per op',
  'busy elsewhere %',
  'errors',
];

/**
 * Statements that run for the process, not for a request: audit batches (one INSERT a second
 * for every event of that second), the key watcher, GC and retention under their locks.
 */
const BACKGROUND_SQL = /audit_events|signing_keys|string_agg\(kid|advisory|schema_migrations/;

/** SQL statements per operation made by the request itself (background statements left out). */
function ownSql(o: Outcome | undefined): number | undefined {
  if (!ok(o) || o.countersPerOp['sql statements'] === undefined) return undefined;
  let own = 0;
  for (const [k, v] of Object.entries(o.countersPerOp))
    if (k.startsWith('sql: ') && !BACKGROUND_SQL.test(k)) own += v;
  return round(own, 2);
}

/** SQL statements and LDAP searches per operation (pg_stat_statements, cn=Monitor). */
function countsCell(o: Summary): string {
  const c = o.countersPerOp;
  if (c['sql statements'] === undefined) return '';
  return `${show(ownSql(o))} (${String(c['sql statements'])}) / ${show(c['ldap searches'])}`;
}

function outcomeCells(o: Outcome | undefined): string[] {
  const blank = ['', '', '', '', '', ''];
  if (o === undefined) return ['not run', '', ...blank];
  if ('error' in o) return ['failed', '', ...blank.slice(1), o.error.slice(0, 70)];
  if ('skipped' in o) return ['skipped', '', ...blank.slice(1), o.skipped.slice(0, 70)];
  const both = (a: number, b: number | undefined) =>
    b === undefined ? String(a) : `${String(a)} (${String(b)})`;
  return [
    String(o.rate.median),
    String(o.rate.min),
    both(o.p50, o.requestP50),
    both(o.p99, o.requestP99),
    String(o.cpuPerOpMs['server'] ?? ''),
    countsCell(o),
    String(o.foreignCpuPct),
    o.errors === 0 ? '0' : `${String(o.errors)}: ${o.firstErrors[0]?.slice(0, 60) ?? ''}`,
  ];
}

function limitCells(x: Limit | { error: string }): string[] {
  if (!okLimit(x)) return ['failed', '', '', '', '', '', '', x.error.slice(0, 70)];
  return [
    String(x.median),
    String(x.min),
    '',
    '',
    x.serverCpuPerOpMs !== undefined
      ? `${String(x.cpuPerOpMs ?? '')} + server ${String(x.serverCpuPerOpMs)}`
      : x.cpuPerOpMs === undefined
        ? ''
        : String(x.cpuPerOpMs),
    '',
    '',
    x.errors === undefined || x.errors === 0 ? '0' : `${String(x.errors)}: ${x.firstError ?? ''}`,
  ];
}

export function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

const LDAP_NAMES: Record<string, string> = {
  'raw-login': 'LDAP raw ldapts: search+bind+groups',
  'sigil-login': 'LDAP sigil connector login()',
  'raw-refresh': 'LDAP raw ldapts: search+groups',
  'sigil-refresh': 'LDAP sigil connector refresh()',
};
const NAMES: Record<string, string> = {
  refresh: 'refresh grant',
  login: 'login flow',
  discovery: 'discovery',
  jwks: 'JWKS',
};

function rows(r: Results): string[][] {
  const out: string[][] = [HEADER];
  if (r.limits !== undefined) {
    for (const [alg, v] of Object.entries(r.limits.jwt))
      out.push([
        `JWT sign ${alg}${alg === 'RS256' ? `-${String(r.modulusBits)}` : ''}, 1 core`,
        'limit',
        ...limitCells(v),
      ]);
    out.push(['PostgreSQL insert+select, pool 10', 'limit', ...limitCells(r.limits.postgres)]);
    if (r.limits.postgresNamed !== undefined)
      out.push(['PostgreSQL, named statements', 'limit', ...limitCells(r.limits.postgresNamed)]);
    for (const [k, v] of Object.entries(r.limits.ldap))
      out.push([LDAP_NAMES[k] ?? k, 'limit', ...limitCells(v)]);
  }
  for (const [scenario, peers] of Object.entries(r.peak ?? {}))
    for (const [peer, o] of Object.entries(peers))
      out.push([NAMES[scenario] ?? scenario, peer, ...outcomeCells(o)]);
  if (r.device !== undefined) out.push(['device flow', 'sigil', ...outcomeCells(r.device)]);
  for (const [scenario, o] of Object.entries(r.halfPeak ?? {}))
    out.push([
      `${NAMES[scenario] ?? scenario} at ${show(r.halfPeakRates?.[scenario])}/s (half of peak)`,
      'sigil',
      ...outcomeCells(o),
    ]);
  if (r.twoProcesses !== undefined) {
    if (r.twoProcesses.login !== undefined)
      out.push(['login flow', 'sigil x2', ...outcomeCells(r.twoProcesses.login)]);
    out.push(['refresh grant', 'sigil x2', ...outcomeCells(r.twoProcesses.refresh)]);
  }
  if (r.rotation !== undefined) {
    const x = r.rotation;
    if ('error' in x) out.push(['refresh grant, keys rotating', 'sigil x2', ...outcomeCells(x)]);
    else
      out.push([
        `refresh grant, keys rotating every ${x.keys.rotationPeriod} (${String(x.rotations)} rotation${x.rotations === 1 ? '' : 's'})`,
        'sigil x2',
        ...faultCells(
          x,
          `${statuses(x.httpErrors)}; ${String(x.verifyFailures)} of ${String(x.tokensVerified)} tokens fail verification`,
        ),
      ]);
  }
  if (r.pgRestart !== undefined) {
    const x = r.pgRestart;
    if ('error' in x)
      out.push(['refresh grant, PostgreSQL restart', 'sigil x2', ...outcomeCells(x)]);
    else
      out.push([
        `refresh grant, PostgreSQL down ${secs(x.outageMs)} s`,
        'sigil x2',
        ...faultCells(
          x,
          `during: ${statuses(x.during)}; after: ${statuses(x.after)}; before: ${statuses(x.before)}`,
        ),
      ]);
  }
  return out;
}

const secs = (ms: number) => String(round(ms / 1000, 1));

/** Failed requests by status, e.g. `37 × 503`, or `0`. */
function statuses(by: Record<string, number>): string {
  const parts = Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .map(([status, n]) => `${String(n)} × ${status === '0' ? 'no answer' : status}`);
  return parts.length === 0 ? '0' : parts.join(' + ');
}

/** A fault phase's row: the run's figures (its rate is the bounded load's), its own error cell. */
function faultCells(x: RotationResult | PgRestartResult, errors: string): string[] {
  return [...outcomeCells(x.summary).slice(0, -1), errors];
}

function faultLines(r: Results): string[] {
  const out: string[] = [];
  const x = r.rotation;
  if (x !== undefined) {
    if ('error' in x) out.push(`key rotation: failed: ${x.error}`);
    else
      out.push(
        `key rotation: ${String(x.rotations)} rotation${x.rotations === 1 ? '' : 's'}, ${String(x.verifyFailures)} failed verifications of ${String(x.tokensVerified)} tokens, ${String(x.requests - x.ok)} errors of ${String(x.requests)} refreshes, ${String(x.chainsLost)} refresh tokens lost`,
      );
  }
  const y = r.pgRestart;
  if (y !== undefined) {
    if ('error' in y) out.push(`PostgreSQL restart: failed: ${y.error}`);
    else
      out.push(
        `PostgreSQL restart: ${secs(y.outageMs)} s outage, ${statuses(y.during)} during, ${statuses(y.after)} after, first success ${y.firstSuccessAfterMs === undefined ? 'never' : `${String(y.firstSuccessAfterMs)} ms`} after PostgreSQL was back, ${String(y.chainsLost)} refresh tokens lost`,
      );
  }
  return out;
}

/** What went wrong in the fault phases, when something did (samples), and how they ran. */
function faultDetails(r: Results): string[] {
  const out: string[] = [];
  const common = (label: string, x: FaultLoad) => {
    out.push(
      `${label}: ${String(x.users)} virtual users (a refresh every ${String(x.pauseMs)} ms each, their own refresh-token chain) on ${String(x.processes)} sigil processes for ${secs(x.loadMs)} s: ${String(x.requests)} refreshes, ${String(x.ok)} ok; JWKS cached for ${show(x.jwksMaxAgeSec)} s (its max-age), fetched ${String(x.jwksFetches)} times`,
    );
    for (const [status, samples] of Object.entries(x.errorSamples))
      out.push(`  ${status === '0' ? 'no answer' : status}: ${samples[0] ?? ''}`);
    if (Object.keys(x.errorCodes).length > 0)
      out.push(`  error codes: ${JSON.stringify(x.errorCodes)}`);
    for (const v of x.verifySamples.slice(0, 3)) out.push(`  verification failed: ${v}`);
    for (const l of x.lostSamples.slice(0, 3)) out.push(`  lost: ${l}`);
  };
  const x = r.rotation;
  if (x !== undefined && !('error' in x)) {
    common('key rotation', x);
    const lags = x.kids.flatMap((k) =>
      k.activationToFirstTokenMs === undefined ? [] : [k.activationToFirstTokenMs],
    );
    out.push(
      `  keys: ${x.kids.map((k) => `${k.kid.slice(0, 8)} ${String(k.tokens)} tokens`).join(', ')}; ${String(x.rotationsInDatabase)} activations in the database during the load; first token with each new key ${lags.map(String).join(', ')} ms after its activation`,
    );
  }
  const y = r.pgRestart;
  if (y !== undefined && !('error' in y)) {
    common('PostgreSQL restart', y);
    out.push(
      `  pg_ctl stop ${String(y.stopMs)} ms, start ${String(y.startMs)} ms; /readyz 503 after ${y.notReadyAfterMs.map((v) => (v === undefined ? 'never' : `${String(v)} ms`)).join(' and ')}; both ready ${y.readyAfterMs === undefined ? 'never' : `${String(y.readyAfterMs)} ms`} after PostgreSQL was back; slowest failed request ${String(y.slowestDuringMs)} ms`,
    );
    for (const [msg, v] of Object.entries(y.logProblems))
      out.push(`  sigil logged ${String(v.count)}x during the phase: ${msg}`);
  }
  return out;
}

/** Highest RSS of the single sigil process during its load runs. */
export function loadRss(r: Results): number | undefined {
  const all = [
    ...Object.values(r.peak ?? {}).map((p) => p['sigil']),
    ...Object.values(r.halfPeak ?? {}),
    r.device,
  ].filter(ok);
  const values = all.map((o) => o.rssMaxMb['server'] ?? 0);
  return values.length === 0 ? undefined : round(Math.max(...values), 0);
}

export function goals(r: Results): Goal[] {
  const p = r.peak ?? {};
  const out: Goal[] = [];
  const add = (goal: string, value: string, holds: boolean | undefined) =>
    out.push({ goal, value, holds });
  const at = (x: number | undefined, test: (v: number) => boolean) =>
    x === undefined ? undefined : test(x);

  const refresh = pct(rateOf(p['refresh']?.['sigil']), rateOf(p['refresh']?.['bare']));
  add(
    'refresh >= 35% of bare oidc-provider',
    show(refresh, '%'),
    at(refresh, (v) => v >= 35),
  );
  const s = p['refresh']?.['sigil'];
  const perCpu = ok(s) ? s.perCpuSecond['server'] : undefined;
  add(
    'refresh >= 360/s per vCPU (3x Keycloak)',
    `${show(perCpu)} refreshes per sigil CPU-second`,
    at(perCpu, (v) => v >= 360),
  );
  const login = pct(rateOf(p['login']?.['sigil']), rateOf(p['login']?.['bare']));
  add(
    'login >= 25% of bare oidc-provider',
    show(login, '%'),
    at(login, (v) => v >= 25),
  );
  const counts = (o: Outcome | undefined, k: string) => (ok(o) ? o.countersPerOp[k] : undefined);
  const refreshSql = ownSql(p['refresh']?.['sigil']);
  add(
    'SQL statements per refresh <= 4',
    show(refreshSql),
    at(refreshSql, (v) => v <= 4.05),
  );
  const refreshLdap = counts(p['refresh']?.['sigil'], 'ldap searches');
  add(
    'LDAP searches per refresh <= 2 (warm cache)',
    show(refreshLdap),
    at(refreshLdap, (v) => v <= 2.05),
  );
  const loginSql = counts(p['login']?.['sigil'], 'sql statements');
  add(
    'SQL statements per login flow <= 12',
    show(loginSql),
    at(loginSql, (v) => v <= 12.05),
  );
  const raw = limitRate(r.limits?.ldap['raw-login']);
  const conn = limitRate(r.limits?.ldap['sigil-login']);
  const cost =
    raw === undefined || conn === undefined || conn === 0 ? undefined : round(raw / conn, 2);
  add(
    'LDAP part <= 1.5x raw ldapts',
    `${show(cost, 'x')} (raw rate / sigil connector rate)`,
    at(cost, (v) => v <= 1.5),
  );
  for (const what of ['discovery', 'jwks']) {
    const x = pct(rateOf(p[what]?.['sigil']), rateOf(p[what]?.['bare']));
    add(
      `${what} >= 90% of bare oidc-provider`,
      show(x, '%'),
      at(x, (v) => v >= 90),
    );
  }
  for (const [what, o] of Object.entries(r.halfPeak ?? {})) {
    const p99 = ok(o) ? (o.requestP99 ?? o.p99) : undefined;
    add(
      `p99 < 50 ms at half of peak (${what}, per request)`,
      show(p99, ' ms'),
      at(p99, (v) => v < 50),
    );
  }
  const rss = loadRss(r);
  add(
    'RSS < 200 MB under load',
    show(rss, ' MB'),
    at(rss, (v) => v < 200),
  );
  const cold = r.coldStart.existingDatabase.median;
  add(
    'cold start < 1.5 s (existing database)',
    `${String(cold)} ms (fresh database: ${String(r.coldStart.freshDatabase.median)} ms)`,
    cold < 1500,
  );
  return out;
}

export function finalLines(r: Results): string[] {
  const p = r.peak ?? {};
  const refresh = rateOf(p['refresh']?.['sigil']);
  const login = rateOf(p['login']?.['sigil']);
  const rs256 = limitRate(r.limits?.jwt['RS256']);
  const raw = limitRate(r.limits?.ldap['raw-login']);
  const two = rateOf(r.twoProcesses?.refresh);
  return [
    ...(two === undefined
      ? []
      : [
          `token endpoint (refresh) with 2 sigil processes: ${String(two)}/s vs ${show(refresh)}/s with 1 (${show(pct(two, refresh), '%')})`,
        ]),
    ...faultLines(r),
    `refresh: ${show(refresh)}/s = ${show(pct(refresh, rateOf(p['refresh']?.['bare'])), '%')} of bare oidc-provider, ${show(pct(refresh, rs256), '%')} of the RS256 limit`,
    `login: ${show(login)}/s = ${show(pct(login, rateOf(p['login']?.['bare'])), '%')} of bare oidc-provider, ${show(pct(login, raw), '%')} of raw LDAP`,
    `memory: idle ${String(round(r.memory.idleMb, 0))} MB, load ${show(loadRss(r))} MB`,
  ];
}

export function machine(): Record<string, string | number> {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel: release(),
  };
}

/**
 * CPU per operation, where a busy machine distorts least: sigil with its database and
 * directory against the bare oidc-provider, and the rate ratio those costs imply.
 */
function costLines(r: Results): string[] {
  const out: string[] = [];
  for (const [scenario, peers] of Object.entries(r.peak ?? {})) {
    const sg = peers['sigil'];
    const bare = peers['bare'];
    if (!ok(sg) || !ok(bare)) continue;
    const c = sg.cpuPerOpMs;
    const stack = (c['server'] ?? 0) + (c['postgres'] ?? 0) + (c['slapd'] ?? 0);
    const b = bare.cpuPerOpMs['server'] ?? 0;
    out.push(
      `  ${NAMES[scenario] ?? scenario}: sigil ${String(c['server'])} + PostgreSQL ${String(c['postgres'])} + slapd ${String(c['slapd'])} = ${String(round(stack, 2))} ms vs bare ${String(b)} ms (load generator: ${String(c['load generator'])} vs ${String(bare.cpuPerOpMs['load generator'])} ms); same CPU would give sigil ${show(pct(b, stack), '%')} of the bare rate (${show(pct(b, c['server']), '%')} counting the sigil process alone)`,
    );
  }
  return out.length === 0 ? [] : ['CPU ms per operation:', ...out];
}

/** What one sigil operation costs its peers: SQL statements and directory operations. */
function counterLines(r: Results): string[] {
  const out: string[] = [];
  const line = (label: string, o: Outcome | undefined) => {
    if (!ok(o)) return;
    const c = o.countersPerOp;
    if (c['sql statements'] === undefined) return;
    const top = Object.entries(c)
      .filter(([k]) => k.startsWith('sql: '))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${String(v)}x ${k.slice(5, 60)}`);
    out.push(
      `  ${label}: ${String(c['sql statements'])} SQL statements (${show(c['sql ms'])} ms executing), ${show(c['ldap searches'])} LDAP searches, ${show(c['ldap binds'])} binds, ${show(c['ldap connections'])} new LDAP connections; sigil RSS at most ${show(o.rssMaxMb['server'])} MB`,
      `    most frequent SQL: ${top.join('; ')}`,
    );
  };
  for (const [scenario, peers] of Object.entries(r.peak ?? {}))
    line(NAMES[scenario] ?? scenario, peers['sigil']);
  line('device flow', r.device);
  line('refresh grant, 2 processes', r.twoProcesses?.refresh);
  return out.length === 0 ? [] : ['per sigil operation (whole flow):', ...out];
}

function heapLines(r: Results): string[] {
  const f = (h: HeapProbe | undefined) =>
    h === undefined
      ? 'n/a'
      : `RSS ${String(h.rssMb)} MB, V8 heap ${String(h.heapUsedMb)} of ${String(h.heapTotalMb)} MB` +
        (h.newSpaceMb === undefined
          ? ''
          : ` (new space ${String(h.newSpaceMb)}, old space ${String(h.oldSpaceMb ?? 0)})`) +
        `, external ${String(h.externalMb)} MB`;
  return [
    `sigil memory (its /metrics): idle ${f(r.memory.idleHeap)}; after the load runs ${f(r.memory.afterLoadHeap)}`,
    ...Object.entries(r.memory.afterPhase ?? {}).map(
      ([what, h]) => `  after the ${NAMES[what] ?? what} runs: ${f(h)}`,
    ),
  ];
}

function profileLines(r: Results): string[] {
  const out: string[] = [];
  for (const [what, prof] of Object.entries(r.profile ?? {})) {
    if ('error' in prof) {
      out.push(`profile ${what}: failed: ${prof.error}`);
      continue;
    }
    const top = (m: Record<string, number>) =>
      Object.entries(m)
        .slice(0, 8)
        .map(([k, v]) => `${k} ${String(v)}%`)
        .join(', ');
    out.push(
      `profile ${what} (${String(prof.totalMs)} ms of CPU sampled, ${prof.file ?? ''}):`,
      `  charged to the nearest package: ${top(prof.byNearestOwner)}`,
      `  self: ${top(prof.selfByOwner)}`,
    );
  }
  return out;
}

export function writeReport(r: Results, dir: string): void {
  const g = goals(r);
  const lines = finalLines(r);
  const m = machine();
  const file = join(dir, `${r.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ machine: m, ...r, goals: g, lines }, null, 2)}\n`);
  const out = [
    '',
    `sigil bench ${r.date}: ${String(m['cpus'])} CPUs (${String(m['cpuModel'])}), ${String(m['memoryGb'])} GB, Node ${String(m['node'])}; ${String(r.settings.repeats)} runs each (median, min); flows ${String(r.settings.flowMs / 1000)} s, endpoints ${String(r.settings.endpointSec)} s; busy elsewhere before start: ${String(r.busyBeforePct)}%`,
    'p50/p99: whole flow (single requests in parentheses). CPU ms/op: the server process (limits: the measuring process).',
    'busy elsewhere: CPU share (all cores) used by processes outside the bench during the runs.',
    '',
    table(rows(r)),
    '',
    ...heapLines(r),
    `cold start to first discovery answer: existing database ${String(r.coldStart.existingDatabase.median)} ms (min ${String(r.coldStart.existingDatabase.min)}), with a warm NODE_COMPILE_CACHE ${String(r.coldStart.existingDatabaseCompileCache.median)} ms, fresh database ${String(r.coldStart.freshDatabase.median)} ms`,
    ...Object.entries(r.sigilLogProblems ?? {}).map(
      ([msg, v]) => `sigil logged ${String(v.count)}x: ${msg}`,
    ),
    ...costLines(r),
    ...counterLines(r),
    ...profileLines(r),
    ...faultDetails(r),
    '',
    'goals:',
    ...g.map(
      (x) =>
        `  ${x.holds === undefined ? '?   ' : x.holds ? 'ok  ' : 'MISS'} ${x.goal}: ${x.value}`,
    ),
    '',
    `results: ${file} (whole run ${String(r.elapsedSec)} s)`,
    '',
    ...lines,
    '',
  ];
  process.stdout.write(out.join('\n'));
}
