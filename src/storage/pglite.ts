import { chmod, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import { AppError, errorMessage } from '../errors.js';
import type { Db, Queryable, SqlValue } from './db.js';
import { toStorageError } from './db-errors.js';
import { acquireDirLock, type DirLock, type LockOwner } from './dir-lock.js';
import { KeyedMutex } from './keyed-mutex.js';
import { withTimeout } from '../lib/index.js';

export interface PgliteDbOptions {
  /** Called when a stale lock (a dead or restarted sigil) was taken over, for logging. */
  readonly onStaleLock?: (previous: LockOwner) => void;
}

/**
 * An embedded PostgreSQL (PGlite) persisted in `dataDir` (created with mode 0700; the
 * database lives in its `pgdata/`). One process at a time: the directory is locked with
 * `sigil.lock` (see dir-lock.ts) until close().
 *
 * PGlite is one connection. It runs each `query` and each `transaction` exclusively (a
 * transaction's statements are never interleaved with other queries; other callers wait),
 * so nothing more is needed here. Advisory locks become an in-process mutex per key: the
 * directory lock already guarantees that this is the only process.
 */
export async function openPgliteDb(dataDir: string, opts: PgliteDbOptions = {}): Promise<Db> {
  const dir = resolve(dataDir);
  await prepareDir(dir);
  const lock = await acquireDirLock(dir);
  if (lock.tookOverFrom !== undefined) opts.onStaleLock?.(lock.tookOverFrom);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(join(dir, 'pgdata'));
  } catch (err) {
    await lock.release();
    throw new AppError(
      'DB_UNAVAILABLE',
      `cannot open the embedded database in ${dir}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  return pgliteDb(pglite, lock);
}

function pgliteDb(pglite: PGlite, lock: DirLock): Db {
  const locks = new KeyedMutex();
  let closed: Promise<void> | undefined;
  const top = queryable(pglite);
  return {
    kind: 'pglite',
    query: top.query.bind(top),
    async transaction(fn) {
      try {
        return await pglite.transaction((tx) => fn(queryable(tx)));
      } catch (err) {
        throw toStorageError(err);
      }
    },
    withAdvisoryLock(key, fn, lockOpts) {
      const run = () => fn(top);
      return lockOpts?.wait === false ? locks.tryRun(key, run) : locks.run(key, run);
    },
    async ping(timeoutMs) {
      await withTimeout(
        top.query('SELECT 1'),
        timeoutMs,
        () =>
          new AppError(
            'DB_UNAVAILABLE',
            `the embedded database did not answer within ${timeoutMs}ms`,
          ),
      );
    },
    close() {
      closed ??= (async () => {
        try {
          if (!pglite.closed) await pglite.close();
        } finally {
          await lock.release();
        }
      })();
      return closed;
    },
  };
}

async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // The directory holds signing keys and sessions: only this user may read it.
    const { mode } = await stat(dir);
    if ((mode & 0o077) !== 0) await chmod(dir, 0o700);
  } catch (err) {
    throw new AppError(
      'DB_UNAVAILABLE',
      `cannot create the data directory ${dir}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

type PgliteTarget = Pick<PGlite | Transaction, 'query' | 'exec'>;

function queryable(target: PgliteTarget): Queryable {
  return {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the shape of Queryable.query (db.ts)
    async query<R extends object = Record<string, unknown>>(
      sql: string,
      params?: readonly SqlValue[],
    ) {
      try {
        if (params === undefined || params.length === 0) {
          // Like pg without parameters: the simple protocol, several statements allowed (migrations).
          const results = await target.exec(sql);
          return shape<R>(results[results.length - 1]);
        }
        return shape<R>(await target.query<R>(sql, [...params]));
      } catch (err) {
        throw toStorageError(err);
      }
    },
  };
}

function shape<R>(result: Results<R> | Results | undefined): { rows: R[]; rowCount: number } {
  if (result === undefined) return { rows: [], rowCount: 0 };
  const rows = result.rows as R[];
  return { rows, rowCount: result.rowCount ?? rows.length };
}
