import type { Db, Queryable } from '../../src/storage/index.js';

/**
 * A Db that records the text of every statement sent through it (transactions and advisory
 * lock sessions included), for tests that count the statements of one operation: a count,
 * not a time. The key watcher's periodic check is a statement too; `statements()` leaves out
 * the background jobs (keys, GC, retention) so a count is the request's own.
 */
export interface CountingDb {
  wrap(db: Db): Db;
  /** Statements since the last `reset()`, background jobs left out. */
  statements(): string[];
  reset(): void;
}

const BACKGROUND = [/signing_keys/, /pg_(try_)?advisory_(un)?lock/, /key_set/];

export function countingDb(): CountingDb {
  let seen: string[] = [];
  const record = (sql: string) => {
    seen.push(sql.replace(/\s+/g, ' ').trim());
  };
  const counted = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      record(sql);
      return q.query(sql, params);
    },
  });
  return {
    wrap: (db) => ({
      kind: db.kind,
      query: (sql, params) => {
        record(sql);
        return db.query(sql, params);
      },
      transaction: (fn) => {
        record('BEGIN');
        return db
          .transaction((tx) => fn(counted(tx)))
          .finally(() => {
            record('COMMIT');
          });
      },
      withAdvisoryLock: (key, fn, opts) => db.withAdvisoryLock(key, (c) => fn(counted(c)), opts),
      ping: (t) => db.ping(t),
      close: () => db.close(),
    }),
    statements: () => seen.filter((s) => !BACKGROUND.some((re) => re.test(s))),
    reset: () => {
      seen = [];
    },
  };
}
