import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics, instrumentThrottle, type Metrics } from '../../../src/metrics/index.js';
import { createLoginThrottle, type ThrottleSettings } from '../../../src/security/throttle.js';
import { migrate, openDb, type Db } from '../../../src/storage/index.js';
import { createTestDatabase } from '../../support/postgres.js';
import { parseSamples, sampleValue } from './prometheus.js';

/** sigil_throttled_total counts what the real throttle (on PostgreSQL) refuses. */
describe('sigil_throttled_total', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const settings: ThrottleSettings = {
    enabled: true,
    username: { maxFailures: 2, windowMs: 60_000, lockoutMs: 60_000 },
    ip: { maxFailures: 4, windowMs: 60_000, lockoutMs: 60_000 },
    backoff: { after: 100, initialMs: 0, maxMs: 0 },
  };

  beforeAll(async () => {
    const t = await createTestDatabase(inject('pgUrl'));
    drop = t.drop;
    db = await openDb({
      type: 'postgres',
      url: t.url,
      maxConnections: 2,
      connectionTimeoutMs: 5000,
      statementTimeoutMs: 10_000,
    });
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  const count = async (m: Metrics, scope: string) =>
    sampleValue(parseSamples(await m.render()), 'sigil_throttled_total', { scope });

  it('counts a locked username under scope=username and an over-limit address under scope=ip', async () => {
    const metrics = createMetrics({ connectors: [], clients: [], processMetrics: false });
    const throttle = instrumentThrottle(createLoginThrottle(db, settings), metrics);
    const ann = { username: 'ann', ip: '192.0.2.10' };
    expect((await throttle.check(ann)).allowed).toBe(true);
    await throttle.recordFailure(ann);
    await throttle.recordFailure(ann);
    expect((await throttle.check(ann)).allowed).toBe(false);
    expect(await count(metrics, 'username')).toBe(1);
    expect(await count(metrics, 'ip')).toBe(0);

    for (const username of ['bea', 'cy']) {
      await throttle.recordFailure({ username, ip: '192.0.2.10' });
    }
    const dee = await throttle.check({ username: 'dee', ip: '192.0.2.10' });
    expect(dee).toMatchObject({ allowed: false, reason: 'ip_locked' });
    expect(await count(metrics, 'ip')).toBe(1);
    // Allowed attempts are not counted.
    expect((await throttle.check({ username: 'eve', ip: '198.51.100.7' })).allowed).toBe(true);
    expect(await count(metrics, 'username')).toBe(1);
  });
});
