import { readFileSync } from 'node:fs';
import type { ResolvedStorage } from '../config/index.js';
import { AppError, errorMessage } from '../errors.js';
import type { Db } from './db.js';
import type { LockOwner } from './dir-lock.js';
import { createPgDb, type PgDbOptions } from './pg.js';
import { openPgliteDb } from './pglite.js';

/** Logging hooks; both optional. */
export interface OpenDbHooks {
  /** An idle pooled PostgreSQL connection failed (server restart); the pool recovers by itself. */
  readonly onIdleError?: (err: unknown) => void;
  /** A stale PGlite directory lock (a dead or restarted sigil) was taken over. */
  readonly onStaleLock?: (previous: LockOwner) => void;
}

/**
 * Opens the database the resolved config names (src/config/resolve.ts): a pg pool, or PGlite
 * in its locked data directory. Run migrate() on it before use.
 */
export async function openDb(storage: ResolvedStorage, hooks: OpenDbHooks = {}): Promise<Db> {
  if (storage.type === 'pglite') {
    return openPgliteDb(
      storage.dataDir,
      hooks.onStaleLock === undefined ? {} : { onStaleLock: hooks.onStaleLock },
    );
  }
  const opts: PgDbOptions = {
    url: storage.url,
    maxConnections: storage.maxConnections,
    connectionTimeoutMs: storage.connectionTimeoutMs,
    statementTimeoutMs: storage.statementTimeoutMs,
    ...(storage.ssl === undefined
      ? {}
      : {
          ssl: {
            mode: storage.ssl.mode,
            ...(storage.ssl.caFile === undefined ? {} : { ca: readCa(storage.ssl.caFile) }),
          },
        }),
    ...(hooks.onIdleError === undefined ? {} : { onIdleError: hooks.onIdleError }),
  };
  return createPgDb(opts);
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `storage.config.ssl.caFile: cannot read ${file}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
