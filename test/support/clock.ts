import { vi } from 'vitest';
import { hashId, type Queryable } from '../../src/storage/index.js';

/**
 * Time in tests without waiting for it.
 *
 * A sigil started in this process (startTestSigil) reads the Date clock: oidc-provider's token
 * and code lifetimes, the login throttle, the device poll interval, and PGlite's now() (its
 * WebAssembly clock calls Date.now()). `freezeClock` stops that clock and moves it by hand.
 * Timers stay real, so I/O goes on; performance.now() stays real, to measure how long an
 * answer took. A PostgreSQL server's clock cannot be moved: `backdateConsumption` moves a
 * stored record's time instead.
 */
export interface FrozenClock {
  /** The frozen time, ms since the epoch. */
  now(): number;
  /** Moves the clock `ms` forward at once. */
  advance(ms: number): void;
}

/** Freezes the Date clock at the current time until `thawClock()` (call it in afterEach). */
export function freezeClock(): FrozenClock {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  return {
    now: () => Date.now(),
    advance: (ms) => {
      vi.setSystemTime(Date.now() + ms);
    },
  };
}

/** The real Date clock again (it jumps back by what the frozen one was moved). */
export function thawClock(): void {
  vi.useRealTimers();
}

/**
 * Moves the consumption of a stored refresh token `ms` into the past (its consumed_at and
 * the payload's `consumed` epoch), as if that long had passed since it was used: how a test
 * on PostgreSQL goes past the reuse grace window without waiting. A token not yet consumed
 * becomes consumed `ms` ago (what a rotation cut short by an outage leaves behind). Without
 * `refreshToken`, every consumed refresh token is moved. Returns how many rows changed.
 */
export async function backdateConsumption(
  db: Queryable,
  ms: number,
  refreshToken?: string,
): Promise<number> {
  const at = `COALESCE(consumed_at, now()) - $1::double precision * interval '1 millisecond'`;
  const { rowCount } = await db.query(
    `UPDATE oidc_payload
        SET consumed_at = ${at},
            payload = payload || jsonb_build_object('consumed', floor(extract(epoch FROM ${at}))::bigint)
      WHERE kind = 'RefreshToken' AND ${refreshToken === undefined ? 'consumed_at IS NOT NULL' : 'id = $2'}`,
    refreshToken === undefined ? [ms] : [ms, hashId(refreshToken)],
  );
  return rowCount;
}
