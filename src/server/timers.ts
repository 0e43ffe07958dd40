import type { Config } from '../config/index.js';
import { startKeyWatcher } from '../keys/index.js';
import { startPeriodic, type Closers } from '../lib/index.js';
import type { Logger } from '../log.js';
import { startRetentionTimer } from '../security/index.js';
import { LOCKS, pruneUnderLock, startGcTimer, type Db } from '../storage/index.js';
import type { HttpParts } from './http.js';
import type { Services } from './services.js';

const GC_INTERVAL_MS = 5 * 60_000;
const RETENTION_INTERVAL_MS = 15 * 60_000;
/** Overdue elevation requests and grants are marked expired (and audited) this often. */
const ELEVATION_SWEEP_MS = 30_000;

/**
 * Phase 5: the key watcher (rotation, and a new provider when the key set changes), the
 * expired-record GC and the audit/throttle retention. Each stops on close.
 */
export function startTimers(
  config: Config,
  db: Db,
  s: Services,
  parts: HttpParts,
  log: Logger,
  closers: Closers,
): void {
  const keyWatcher = startKeyWatcher({
    db,
    sealer: s.sealer,
    policy: s.keyPolicy,
    version: s.keys.version,
    log,
    onEvent: s.onKeyEvent,
    onKeySet: parts.useKeys,
  });
  closers.add(() => keyWatcher.stop());
  closers.add(startGcTimer(db, GC_INTERVAL_MS, log));
  // Last use of sessions: one statement per interval (the final flush is a closer of phase 2).
  const lastUse = startPeriodic(async () => {
    await s.sessions.tracker.flush().catch((err: unknown) => {
      log.warn({ err }, 'last use of sessions not written; kept for the next flush');
    });
  }, config.sessions.lastUseFlushInterval);
  closers.add(() => lastUse.stop());
  closers.add(startRevocationPruning(db, log));
  closers.add(startElevationSweep(s, log));
  const { throttle } = config;
  closers.add(
    startRetentionTimer(
      db,
      {
        auditRetentionMs: config.audit.retention,
        throttleIdleMs: Math.max(
          throttle.username.window,
          throttle.username.lockout,
          throttle.ip.window,
          throttle.ip.lockout,
        ),
        intervalMs: RETENTION_INTERVAL_MS,
      },
      log,
    ),
  );
}

/** Deny entries whose tokens have all expired leave login_revocations (one replica at a time). */
function startRevocationPruning(db: Db, log: Logger): () => Promise<void> {
  const job = startPeriodic(async () => {
    try {
      const r = await pruneUnderLock(db, LOCKS.revocationsPrune, {
        sql: `DELETE FROM login_revocations WHERE id IN (
                SELECT id FROM login_revocations WHERE keep_until <= now() LIMIT $1)`,
        params: (batchSize) => [batchSize],
      });
      if (r.deleted > 0) log.info({ deleted: r.deleted }, 'expired deny entries deleted');
    } catch (err) {
      log.error({ err }, 'pruning deny entries failed');
    }
  }, GC_INTERVAL_MS);
  return () => job.stop();
}

/**
 * Pending requests nobody decided and grants that reached their end become `expired`, audited
 * once (the UPDATE that changes a row is one replica's). Tokens never wait for it: the token
 * path and every read treat an overdue row as over already.
 */
function startElevationSweep(s: Services, log: Logger): () => Promise<void> {
  const job = startPeriodic(async () => {
    try {
      const n = await s.elevations.sweep();
      if (n > 0) log.info({ expired: n }, 'elevation requests and grants expired');
    } catch (err) {
      log.error({ err }, 'sweeping elevations failed');
    }
  }, ELEVATION_SWEEP_MS);
  return () => job.stop();
}
