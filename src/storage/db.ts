/**
 * The one database seam: PostgreSQL through `pg` in production, embedded PGlite when no
 * database is configured. Both speak the same SQL (the files in migrations/), so every
 * caller is written once against this interface.
 */
export type SqlValue = string | number | boolean | null | Date | Buffer | Uint8Array | object;

export interface Queryable {
  /** Runs one parameterised statement ($1, $2, ...) and returns its rows. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- R names the row type the caller expects
  query<R extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<{ rows: R[]; rowCount: number }>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding the session-level advisory lock `key` (pg_advisory_lock), so that
   * only one replica does it at a time. With `wait: false` it returns `undefined` at once when
   * another holder has the lock.
   */
  withAdvisoryLock<T>(
    key: number,
    fn: (conn: Queryable) => Promise<T>,
    opts?: { wait?: boolean },
  ): Promise<T | undefined>;
  /** Cheap liveness probe (SELECT 1) bounded by `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Advisory lock keys, one per job that must run on one replica at a time. */
export const LOCKS = {
  migrate: 0x5161_0001,
  gc: 0x5161_0002,
  keys: 0x5161_0003,
  /** Audit retention and login-throttle pruning (src/storage/audit-store.ts). */
  auditPrune: 0x5161_0010,
  /** Deny entries past their keepUntil (src/storage/logins/revocations.ts). */
  revocationsPrune: 0x5161_0015,
} as const;
