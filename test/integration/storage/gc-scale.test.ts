import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPgDb, garbageCollect, LOCKS, migrate, type Db } from '../../../src/storage/index.js';
import { createTestDatabase } from '../../support/postgres.js';

/**
 * Garbage collection stays cheap on a large table (PostgreSQL): the batch query finds expired
 * rows through the expires_at index instead of scanning 200k live rows, each run deletes at
 * most batchSize × maxBatches rows, live rows are never touched, and a run finds nothing to
 * do while another replica holds the GC lock.
 */
const LIVE = 200_000;
const EXPIRED = 5_000;

describe('garbage collection at scale', () => {
  let db: Db;
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase(inject('pgUrl'), 'sigil_gc'));
    db = createPgDb({
      url,
      maxConnections: 4,
      connectionTimeoutMs: 5000,
      statementTimeoutMs: 60_000,
    });
    await migrate(db);
    await db.query(
      `INSERT INTO oidc_payload (kind, id, payload, grant_id, expires_at)
       SELECT 'AccessToken', 'live-' || g, '{"scope":"openid"}'::jsonb, 'grant-' || (g % 5000),
              now() + interval '1 hour' + g * interval '1 millisecond'
         FROM generate_series(1, $1::int) g`,
      [LIVE],
    );
    await db.query(
      `INSERT INTO oidc_payload (kind, id, payload, expires_at)
       SELECT 'Session', 'gone-' || g, '{}'::jsonb, now() - interval '1 minute' - g * interval '1 millisecond'
         FROM generate_series(1, $1::int) g`,
      [EXPIRED],
    );
    await db.query('ANALYZE oidc_payload');
  }, 120_000);
  afterAll(async () => {
    await db.close();
    await drop();
  });

  const count = async (where: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM oidc_payload WHERE ${where}`))
      .rows[0]!.n;

  it('finds expired rows through the expires_at index, not a scan of the live rows', async () => {
    const plan = async (sql: string) =>
      JSON.stringify((await db.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows);
    const select = await plan(`SELECT ctid FROM oidc_payload WHERE expires_at < now() LIMIT 1000`);
    expect(select).toContain('oidc_payload_expires_at');
    expect(select).not.toContain('"Seq Scan"');
    // The whole statement gc.ts runs: the DELETE reaches rows by ctid from that index scan.
    const del = await plan(
      `DELETE FROM oidc_payload WHERE ctid IN (SELECT ctid FROM oidc_payload WHERE expires_at < now() LIMIT 1000)`,
    );
    expect(del).toContain('oidc_payload_expires_at');
    expect(del).not.toContain('"Seq Scan"');
  });

  it('deletes in bounded batches, leaves live rows alone, and continues on the next run', async () => {
    const started = Date.now();
    const first = await garbageCollect(db, { batchSize: 1000, maxBatches: 3 });
    expect(first).toEqual({ deleted: 3000, skipped: false }); // bounded: 3 batches of 1000
    expect(await count('expires_at < now()')).toBe(EXPIRED - 3000);
    const second = await garbageCollect(db, { batchSize: 1000, maxBatches: 3 });
    expect(second).toEqual({ deleted: EXPIRED - 3000, skipped: false });
    expect(await garbageCollect(db, { batchSize: 1000 })).toEqual({ deleted: 0, skipped: false });
    expect(await count('true')).toBe(LIVE);
    expect(Date.now() - started, 'cheap on a 205k-row table').toBeLessThan(10_000);
  });

  it('does nothing while another replica holds the GC lock', async () => {
    await db.query(
      `INSERT INTO oidc_payload (kind, id, payload, expires_at) VALUES ('Session', 'late', '{}', now() - interval '1 second')`,
    );
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [LOCKS.gc]);
      expect(await garbageCollect(db)).toEqual({ deleted: 0, skipped: true });
      expect(await count(`id = 'late'`)).toBe(1);
    } finally {
      await other.end();
    }
    expect(await garbageCollect(db)).toEqual({ deleted: 1, skipped: false });
  });
});
