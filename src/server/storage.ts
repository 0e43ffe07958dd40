import { resolveStorage, type Config, type ResolvedStorage } from '../config/index.js';
import type { Closers } from '../lib/index.js';
import type { Logger } from '../log.js';
import { migrate, openDb, type Db } from '../storage/index.js';

export interface OpenedStorage {
  readonly db: Db;
  readonly storage: ResolvedStorage;
}

/** Phase 1: open the database the config names (closed last) and migrate it. */
export async function openStorage(
  config: Config,
  env: NodeJS.ProcessEnv,
  log: Logger,
  closers: Closers,
  wrapDb?: (db: Db) => Db,
): Promise<OpenedStorage> {
  const storage = resolveStorage(config, env);
  const db = await openDb(storage, {
    onIdleError: (err) => {
      log.warn({ err }, 'database connection lost; the pool reconnects on demand');
    },
    onStaleLock: (prev) => {
      log.warn({ previousPid: prev.pid }, 'took over a stale data directory lock');
    },
  });
  closers.add(() => db.close());
  const { applied } = await migrate(db);
  if (applied.length > 0) log.info({ applied }, 'database migrated');
  return { db: wrapDb === undefined ? db : wrapDb(db), storage };
}
