import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import {
  addThrottleFailure,
  clearThrottle,
  readThrottle,
  type FailureRule,
  type Queryable,
  type ThrottleState,
} from '../storage/index.js';
import { throttleIpKey } from './client-ip.js';

/**
 * Login throttling and lockout, kept in PostgreSQL so every replica sees the same counters.
 * Two independent keys: the normalised username (a low limit: 10 failures lock it) and the
 * client IP (a high limit, so that one office behind NAT is not locked out by one person).
 * A username lockout never affects another username; an IP limit never affects another IP.
 * Decisions are immediate: an attempt that comes too soon is refused, never delayed.
 */
export interface ThrottleKey {
  readonly username: string;
  readonly ip: string;
}

export type ThrottleReason = 'locked' | 'throttled' | 'ip_locked';

export interface ThrottleDecision {
  readonly allowed: boolean;
  /** Seconds until an attempt would be considered again (0 when allowed). */
  readonly retryAfterSec: number;
  readonly reason?: ThrottleReason;
  /** Failures counted for the username in its current window. */
  readonly failures: number;
  /**
   * Whether the username had a stored counter when checked (false: nothing to clear after a
   * success, so the success costs no statement).
   */
  readonly userRow?: boolean;
}

export interface LoginThrottle {
  check(key: ThrottleKey): Promise<ThrottleDecision>;
  /** Counts a failed login for both keys; answers what the next attempt would meet. */
  recordFailure(key: ThrottleKey): Promise<ThrottleDecision>;
  /**
   * A successful login clears the username's failures (the IP's stay: they are per address).
   * Given the decision of the check before it, a username that had no counter then is not
   * touched: a failure counted by a concurrent attempt in between stays counted.
   */
  recordSuccess(key: ThrottleKey, checked?: ThrottleDecision): Promise<void>;
}

export interface ThrottleSettings {
  readonly enabled: boolean;
  readonly username: FailureRule;
  readonly ip: FailureRule;
  readonly backoff: { readonly after: number; readonly initialMs: number; readonly maxMs: number };
}

export function throttleSettings(config: Config): ThrottleSettings {
  const t = config.throttle;
  const rule = (r: typeof t.username): FailureRule => ({
    maxFailures: r.maxFailures,
    windowMs: r.window,
    lockoutMs: r.lockout,
  });
  return {
    enabled: t.enabled,
    username: rule(t.username),
    ip: rule(t.ip),
    backoff: { after: t.backoff.after, initialMs: t.backoff.initial, maxMs: t.backoff.max },
  };
}

/**
 * The username key: Unicode NFKC, trimmed, lower-cased (directories compare names without
 * case), so `Alice` and `alice ` share one counter. Long or odd names are hashed.
 */
export function normaliseUsername(username: string): string {
  const n = username.normalize('NFKC').trim().toLowerCase();
  // eslint-disable-next-line no-control-regex -- control characters force the hashed form
  if (n.length <= 200 && !/[\u0000-\u001f\u007f]/.test(n)) return n;
  return `sha256:${createHash('sha256').update(n, 'utf8').digest('hex')}`;
}

/** The back-off after `failures` failures of one username (0: none). */
export function backoffMs(failures: number, b: ThrottleSettings['backoff']): number {
  if (b.initialMs <= 0 || failures < b.after) return 0;
  const exp = Math.min(failures - b.after, 30);
  return Math.min(b.maxMs, b.initialMs * 2 ** exp);
}

const ALLOWED = (failures: number): ThrottleDecision => ({
  allowed: true,
  retryAfterSec: 0,
  failures,
});

/** Pure: what the stored counters mean for an attempt at `now`. */
export function decide(
  user: ThrottleState | undefined,
  ip: ThrottleState | undefined,
  s: ThrottleSettings,
  now: Date,
): ThrottleDecision {
  const t = now.getTime();
  const inWindow = (st: ThrottleState, rule: FailureRule) =>
    st.windowStart.getTime() > t - rule.windowMs;
  const userFailures =
    user !== undefined &&
    inWindow(user, s.username) &&
    !(user.lockedUntil !== undefined && user.lockedUntil.getTime() <= t)
      ? user.failures
      : 0;
  const secs = (until: number) => Math.max(1, Math.ceil((until - t) / 1000));
  if (user?.lockedUntil !== undefined && user.lockedUntil.getTime() > t)
    return {
      allowed: false,
      reason: 'locked',
      retryAfterSec: secs(user.lockedUntil.getTime()),
      failures: userFailures,
    };
  if (ip?.lockedUntil !== undefined && ip.lockedUntil.getTime() > t)
    return {
      allowed: false,
      reason: 'ip_locked',
      retryAfterSec: secs(ip.lockedUntil.getTime()),
      failures: userFailures,
    };
  if (user !== undefined && userFailures > 0) {
    const until = user.lastFailure.getTime() + backoffMs(userFailures, s.backoff);
    if (until > t)
      return {
        allowed: false,
        reason: 'throttled',
        retryAfterSec: secs(until),
        failures: userFailures,
      };
  }
  return ALLOWED(userFailures);
}

export function createLoginThrottle(
  db: Queryable,
  settings: ThrottleSettings,
  clock: () => Date = () => new Date(),
): LoginThrottle {
  const keys = (k: ThrottleKey) => ({
    user: normaliseUsername(k.username),
    ip: throttleIpKey(k.ip),
  });
  const split = (states: readonly ThrottleState[], k: { user: string; ip: string }) => ({
    user: states.find((x) => x.scope === 'user' && x.key === k.user),
    ip: states.find((x) => x.scope === 'ip' && x.key === k.ip),
  });
  return {
    async check(key) {
      if (!settings.enabled) return ALLOWED(0);
      const k = keys(key);
      const st = split(
        await readThrottle(db, [
          { scope: 'user', key: k.user },
          { scope: 'ip', key: k.ip },
        ]),
        k,
      );
      return { ...decide(st.user, st.ip, settings, clock()), userRow: st.user !== undefined };
    },
    async recordFailure(key) {
      if (!settings.enabled) return ALLOWED(0);
      const k = keys(key);
      const now = clock();
      const [user, ip] = await Promise.all([
        addThrottleFailure(db, 'user', k.user, settings.username, now),
        addThrottleFailure(db, 'ip', k.ip, settings.ip, now),
      ]);
      return decide(user, ip, settings, now);
    },
    async recordSuccess(key, checked) {
      if (!settings.enabled || checked?.userRow === false) return;
      await clearThrottle(db, 'user', keys(key).user);
    },
  };
}
