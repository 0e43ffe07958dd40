import { deleteInBatches, type BatchLimits } from '../lib/index.js';
import type { Db, SqlValue } from './db.js';

export interface PruneResult {
  readonly deleted: number;
  /** Another replica was pruning: nothing was done. */
  readonly skipped: boolean;
}

/**
 * Deletes in bounded batches (deleteInBatches) while holding advisory lock `lock`, one replica
 * at a time: when another holds the lock, nothing is done and the result says `skipped`.
 */
export async function pruneUnderLock(
  db: Db,
  lock: number,
  batch: {
    /** A DELETE of at most the batch size rows. */
    readonly sql: string;
    readonly params: (batchSize: number) => readonly SqlValue[];
  },
  limits: BatchLimits = {},
): Promise<PruneResult> {
  const deleted = await db.withAdvisoryLock(
    lock,
    (conn) =>
      deleteInBatches(
        async (batchSize) => (await conn.query(batch.sql, batch.params(batchSize))).rowCount,
        limits,
      ),
    { wait: false },
  );
  return deleted === undefined ? { deleted: 0, skipped: true } : { deleted, skipped: false };
}
