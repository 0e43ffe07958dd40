import { errorMessage } from '../errors.js';
import { startPeriodic, type BatchLimits } from '../lib/index.js';
import { pruneUnderLock, type PruneResult } from './prune.js';
import { LOCKS, type Db } from './db.js';

/**
 * Garbage collection of expired oidc_payload rows (Dex's GarbageCollect). `find` already
 * hides them; this keeps the table small. Deletes in bounded batches so no statement holds
 * many row locks or runs long, and at most `maxBatches` per run (the next run continues).
 * One replica at a time: when another holds the lock this run does nothing.
 */
export type GcOptions = BatchLimits;

export type GcResult = PruneResult;

export async function garbageCollect(db: Db, opts: GcOptions = {}): Promise<GcResult> {
  return pruneUnderLock(
    db,
    LOCKS.gc,
    {
      sql: `DELETE FROM oidc_payload WHERE ctid IN (
              SELECT ctid FROM oidc_payload WHERE expires_at < now() LIMIT $1)`,
      params: (batchSize) => [batchSize],
    },
    opts,
  );
}

/** The subset of a pino logger the GC timer uses. */
export interface GcLogger {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Runs garbageCollect every `intervalMs` (never two runs at once; the timer does not keep
 * the process alive). The returned function stops it and waits for a run in progress.
 */
export function startGcTimer(
  db: Db,
  intervalMs: number,
  log: GcLogger,
  opts: GcOptions = {},
): () => Promise<void> {
  const job = startPeriodic(async () => {
    try {
      const { deleted, skipped } = await garbageCollect(db, opts);
      if (deleted > 0) log.info({ deleted }, 'expired OIDC records deleted');
      else log.debug({ deleted, skipped }, 'garbage collection found nothing to do');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'garbage collection failed');
    }
  }, intervalMs);
  return () => job.stop();
}
