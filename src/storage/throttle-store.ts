import type { Queryable } from './db.js';

/**
 * The login_throttle table: failed-login counters per (scope, key), shared by every replica.
 * Times come from the caller's clock (one `now` per decision), so a policy can be tested
 * without waiting; replicas are expected to keep their clocks in sync (NTP), as TLS and
 * token expiry already require.
 */
export type ThrottleScope = 'user' | 'ip';

export interface ThrottleState {
  readonly scope: ThrottleScope;
  readonly key: string;
  readonly failures: number;
  readonly windowStart: Date;
  readonly lastFailure: Date;
  readonly lockedUntil: Date | undefined;
}

export interface FailureRule {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
}

interface Row {
  scope: ThrottleScope;
  key: string;
  failures: number;
  window_start: Date | string;
  last_failure: Date | string;
  locked_until: Date | string | null;
}

function toState(r: Row): ThrottleState {
  return {
    scope: r.scope,
    key: r.key,
    failures: r.failures,
    windowStart: new Date(r.window_start),
    lastFailure: new Date(r.last_failure),
    lockedUntil: r.locked_until === null ? undefined : new Date(r.locked_until),
  };
}

/** The rows for these keys (absent keys have no failures). */
export async function readThrottle(
  db: Queryable,
  keys: readonly { scope: ThrottleScope; key: string }[],
): Promise<ThrottleState[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<Row>(
    `SELECT scope, key, failures, window_start, last_failure, locked_until
       FROM login_throttle
      WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [keys.map((k) => k.scope), keys.map((k) => k.key)],
  );
  return rows.map(toState);
}

/**
 * Counts one failure, atomically (one upsert, safe under concurrent replicas). A new window
 * starts when the old one has passed or an earlier lockout has ended; reaching
 * `maxFailures` inside the window sets `locked_until`.
 */
export async function addThrottleFailure(
  db: Queryable,
  scope: ThrottleScope,
  key: string,
  rule: FailureRule,
  now: Date,
): Promise<ThrottleState> {
  // $3 now, $4 maxFailures, $5 window (ms), $6 lockout (ms). SET expressions see the old row.
  const now3 = '$3::timestamptz';
  const msInterval = (p: string) => `(${p}::double precision * interval '1 millisecond')`;
  const restart = `(t.window_start <= ${now3} - ${msInterval('$5')} OR t.locked_until <= ${now3})`;
  const count = `(CASE WHEN ${restart} THEN 1 ELSE t.failures + 1 END)`;
  const { rows } = await db.query<Row>(
    `INSERT INTO login_throttle AS t (scope, key, failures, window_start, last_failure, locked_until)
     VALUES ($1, $2, 1, ${now3}, ${now3},
             CASE WHEN $4::integer <= 1 THEN ${now3} + ${msInterval('$6')} END)
     ON CONFLICT (scope, key) DO UPDATE SET
       failures = ${count},
       window_start = CASE WHEN ${restart} THEN ${now3} ELSE t.window_start END,
       last_failure = ${now3},
       locked_until = CASE
         WHEN ${count} >= $4::integer AND NOT coalesce(t.locked_until > ${now3}, false)
           THEN ${now3} + ${msInterval('$6')}
         WHEN t.locked_until <= ${now3} THEN NULL
         ELSE t.locked_until
       END
     RETURNING t.scope, t.key, t.failures, t.window_start, t.last_failure, t.locked_until`,
    [scope, key, now, rule.maxFailures, rule.windowMs, rule.lockoutMs],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('login_throttle upsert returned no row');
  return toState(row);
}

/** Forgets the failures of one key (a successful login clears its username). */
export async function clearThrottle(
  db: Queryable,
  scope: ThrottleScope,
  key: string,
): Promise<void> {
  await db.query('DELETE FROM login_throttle WHERE scope = $1 AND key = $2', [scope, key]);
}

/** Deletes rows that no longer matter: no lockout in force and no failure since `before`. */
export async function pruneThrottle(db: Queryable, before: Date, limit = 1000): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM login_throttle WHERE ctid IN (
       SELECT ctid FROM login_throttle
        WHERE last_failure < $1 AND (locked_until IS NULL OR locked_until < $1)
        LIMIT $2)`,
    [before, limit],
  );
  return rowCount;
}
