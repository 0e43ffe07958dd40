import { errorMessage } from '../errors.js';
import { deleteInBatches, startPeriodic } from '../lib/index.js';
import { pruneAuditEvents, pruneThrottle, type Db, type GcLogger } from '../storage/index.js';

/**
 * Keeps the audit trail to its retention and the throttle table to rows that still matter,
 * on a timer like the oidc_payload GC: bounded batches, one replica at a time for the audit
 * table, never two runs at once, never keeping the process alive.
 */
export interface RetentionOptions {
  /** Audit events older than this are deleted. */
  readonly auditRetentionMs: number;
  /** Throttle rows with no failure for this long (and no lockout in force) are deleted. */
  readonly throttleIdleMs: number;
  readonly intervalMs: number;
  readonly batchSize?: number;
  readonly maxBatches?: number;
}

export async function pruneOnce(
  db: Db,
  opts: RetentionOptions,
  now: Date = new Date(),
): Promise<{ audit: number; throttle: number; skipped: boolean }> {
  const batch = {
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    ...(opts.maxBatches === undefined ? {} : { maxBatches: opts.maxBatches }),
  };
  const audit = await pruneAuditEvents(db, new Date(now.getTime() - opts.auditRetentionMs), batch);
  const before = new Date(now.getTime() - opts.throttleIdleMs);
  const throttle = audit.skipped
    ? 0
    : await deleteInBatches((batchSize) => pruneThrottle(db, before, batchSize), batch);
  return { audit: audit.deleted, throttle, skipped: audit.skipped };
}

export function startRetentionTimer(
  db: Db,
  opts: RetentionOptions,
  log: GcLogger,
): () => Promise<void> {
  const job = startPeriodic(async () => {
    try {
      const r = await pruneOnce(db, opts);
      if (r.audit + r.throttle > 0)
        log.info(
          { audit: r.audit, throttle: r.throttle },
          'old audit events and throttle rows deleted',
        );
      else log.debug({ skipped: r.skipped }, 'audit retention found nothing to do');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'audit retention failed');
    }
  }, opts.intervalMs);
  return () => job.stop();
}
