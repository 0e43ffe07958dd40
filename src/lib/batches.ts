export interface BatchLimits {
  /** Rows one batch may delete (default 1000). */
  readonly batchSize?: number;
  /** Batches one call may run (default 100); the next call continues. */
  readonly maxBatches?: number;
}

/**
 * Calls `deleteBatch(batchSize)` until it deletes fewer rows than that, at most `maxBatches`
 * times, so that no statement holds many row locks or runs long. Returns the rows deleted.
 */
export async function deleteInBatches(
  deleteBatch: (batchSize: number) => Promise<number>,
  limits: BatchLimits = {},
): Promise<number> {
  const batchSize = limits.batchSize ?? 1000;
  const maxBatches = limits.maxBatches ?? 100;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const deleted = await deleteBatch(batchSize);
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
