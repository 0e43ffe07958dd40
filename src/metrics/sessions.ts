import { Counter, Gauge, type Registry } from 'prom-client';

/** Who ended sessions, as counted in `sigil_sessions_revoked_total{by}`. */
export type SessionRevoker = 'person' | 'client' | 'operator' | 'cluster' | 'system';

const REVOKERS: readonly SessionRevoker[] = ['person', 'client', 'operator', 'cluster', 'system'];

/**
 * `sigil_sessions_revoked_total{by}` and `sigil_sessions_active` (read from the database every
 * replica shares when scraped, so every replica reports the same number).
 */
export function sessionMetrics(
  registers: Registry[],
  active: (() => Promise<number>) | undefined,
): (by: SessionRevoker, n: number) => void {
  const revoked = new Counter({
    name: 'sigil_sessions_revoked_total',
    help: 'Sessions ended before their time, by who ended them (person on /home, client or person through the API, operator from the CLI, system).',
    labelNames: ['by'],
    registers,
  });
  for (const by of REVOKERS) revoked.labels(by).inc(0);
  new Gauge({
    name: 'sigil_sessions_active',
    help: 'Sessions (logins) neither ended nor expired, on every replica together.',
    registers,
    async collect() {
      if (active === undefined) return;
      try {
        this.set(await active());
      } catch {
        // The database is down: /readyz says so; the last value stays.
      }
    },
  });
  return (by, n) => {
    revoked.labels(by).inc(n);
  };
}
