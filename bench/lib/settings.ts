/**
 * How long and how hard the bench runs. Defaults keep the whole run under 10 minutes on a
 * 2-core machine; BENCH_QUICK=1 is a smoke run (one short repeat of everything).
 */
export interface Settings {
  quick: boolean;
  repeats: number;
  /** Length of one flow run (login, refresh, device), ms. */
  flowMs: number;
  /** Length of one autocannon run (discovery, JWKS), s. */
  endpointSec: number;
  /** Length of one limit measurement (PostgreSQL, LDAP), ms. */
  limitMs: number;
  /** Length of one JWT signing measurement, ms. */
  jwtMs: number;
  users: number;
  loginConcurrency: number;
  refreshConcurrency: number;
  deviceConcurrency: number;
  ldapConcurrency: number;
  connections: number;
  /** Open-loop runs (half of peak) may have this many flows in flight. */
  openLoopConcurrency: number;
  /** Refresh-token chains (distinct users) per peer. */
  chains: number;
  profile: boolean;
}

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
}

export function settings(): Settings {
  const quick = process.env['BENCH_QUICK'] === '1';
  return {
    quick,
    repeats: num('BENCH_REPEATS', quick ? 1 : 3),
    flowMs: num('BENCH_FLOW_MS', quick ? 3000 : 10_000),
    endpointSec: num('BENCH_ENDPOINT_SEC', quick ? 2 : 5),
    limitMs: num('BENCH_LIMIT_MS', quick ? 1000 : 2000),
    jwtMs: quick ? 500 : 1500,
    users: num('BENCH_USERS', 3000),
    loginConcurrency: 16,
    refreshConcurrency: 32,
    deviceConcurrency: 8,
    ldapConcurrency: 16,
    connections: 32,
    openLoopConcurrency: 64,
    chains: 128,
    profile: process.env['BENCH_PROFILE'] === '1',
  };
}
