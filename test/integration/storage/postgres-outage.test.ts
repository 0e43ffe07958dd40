import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../../../src/errors.js';
import { createPgDb, migrate, type Db } from '../../../src/storage/index.js';
import { freePort } from '../../support/net.js';
import { startOwnPostgres, type OwnPostgres } from '../../support/postgres.js';

/**
 * A database outage is an AppError('DB_UNAVAILABLE') for the requests that needed it, never
 * a crashed process, and the same Db works again once PostgreSQL is back. Uses a PostgreSQL
 * of its own (postgresql-15 binaries) so it can stop and start it.
 */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

function expectUnavailable(err: unknown): void {
  expect(err).toBeInstanceOf(AppError);
  expect(isAppError(err, 'DB_UNAVAILABLE')).toBe(true);
  expect((err as AppError).status).toBe(503);
  expect((err as AppError).cause).toBeDefined();
}

describe('postgres outage', () => {
  it('a closed port is DB_UNAVAILABLE, quickly, for query, transaction, lock and ping', async () => {
    const port = await freePort();
    const db = createPgDb({
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      maxConnections: 2,
      connectionTimeoutMs: 500,
      statementTimeoutMs: 1000,
    });
    const started = Date.now();
    try {
      expectUnavailable(await failure(db.query('SELECT 1')));
      expectUnavailable(await failure(db.transaction((tx) => tx.query('SELECT 1'))));
      expectUnavailable(await failure(db.withAdvisoryLock(1, () => Promise.resolve(1))));
      expectUnavailable(await failure(db.ping(1000)));
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await db.close();
    }
  });

  describe('restart', () => {
    let own: OwnPostgres;
    let db: Db;
    const idleErrors: unknown[] = [];

    beforeAll(async () => {
      const started = await startOwnPostgres();
      if (started === undefined)
        throw new Error('postgresql binaries are not installed (apt-get install postgresql-15)');
      own = started;
      db = createPgDb({
        url: own.url,
        maxConnections: 3,
        connectionTimeoutMs: 1000,
        statementTimeoutMs: 5000,
        onIdleError: (err) => idleErrors.push(err),
      });
      await migrate(db);
    });
    afterAll(async () => {
      await db.close();
      own.stop();
    });

    it('fails with DB_UNAVAILABLE while PostgreSQL is down and recovers when it is back', async () => {
      // Fill the pool with idle connections, and hold a lock connection and a transaction open.
      await Promise.all([
        db.query('SELECT pg_sleep(0.05)'),
        db.query('SELECT pg_sleep(0.05)'),
        db.query('SELECT 1'),
      ]);
      let lockReached!: () => void;
      const inLock = new Promise<void>((resolve) => {
        lockReached = resolve;
      });
      let downNow!: () => void;
      const down = new Promise<void>((resolve) => {
        downNow = resolve;
      });
      const lockRun = db
        .withAdvisoryLock(42, async (conn) => {
          lockReached();
          await down;
          return conn.query('SELECT 1');
        })
        .catch((err: unknown) => err);
      const txRun = db
        .transaction(async (tx) => {
          await tx.query("INSERT INTO secrets (name, value) VALUES ('during-outage', 'v')");
          await down;
          return tx.query('SELECT 1');
        })
        .catch((err: unknown) => err);
      await inLock;

      own.halt();
      downNow();
      expectUnavailable(await lockRun);
      expectUnavailable(await txRun);
      expectUnavailable(await failure(db.query('SELECT 1')));
      expectUnavailable(await failure(db.ping(2000)));
      expectUnavailable(await failure(db.transaction((tx) => tx.query('SELECT 1'))));
      expect(idleErrors.length).toBeGreaterThan(0); // the idle connections died, and nothing crashed

      own.restart();
      expect(await db.query<{ ok: number }>('SELECT 1 AS ok')).toEqual({
        rows: [{ ok: 1 }],
        rowCount: 1,
      });
      await db.ping(2000);
      expect(await db.withAdvisoryLock(42, async () => 'locked', { wait: false })).toBe('locked');
      const rows = await db.query("SELECT 1 FROM secrets WHERE name = 'during-outage'");
      expect(rows.rowCount).toBe(0); // the interrupted transaction did not commit
      await db.transaction((tx) =>
        tx.query("INSERT INTO secrets (name, value) VALUES ('after-outage', 'v')"),
      );
      expect((await db.query("SELECT 1 FROM secrets WHERE name = 'after-outage'")).rowCount).toBe(
        1,
      );
    });
  });
});
