/**
 * The directory outage policy (a connector's `outagePolicy`), as a decision in plain data:
 * may a refresh that could not reach the directory reissue tokens from the identity the
 * connector last confirmed? Only when the connector allows it (`lastKnown`), the person was
 * confirmed at most that long ago, and the directory has not refused them since.
 */
export interface LastKnown {
  /** When a connector last confirmed the person. */
  readonly checkedAt: Date;
  /** Set when the directory refused the person at a refresh after that. */
  readonly refused?: { readonly at: Date; readonly reason: string } | undefined;
}

export type OutageDecision =
  | { readonly degrade: true; readonly ageMs: number }
  | {
      readonly degrade: false;
      readonly why: 'fail_closed' | 'refused_before_outage' | 'last_check_too_old';
    };

export function outageDecision(
  person: LastKnown,
  policy: { readonly lastKnownMs: number } | undefined,
  now: Date,
): OutageDecision {
  if (policy === undefined) return { degrade: false, why: 'fail_closed' };
  if (person.refused !== undefined) return { degrade: false, why: 'refused_before_outage' };
  const ageMs = now.getTime() - person.checkedAt.getTime();
  if (ageMs < 0 || ageMs > policy.lastKnownMs) return { degrade: false, why: 'last_check_too_old' };
  return { degrade: true, ageMs };
}

/**
 * After a real check that changed nothing, the time of the check is written only when the
 * stored one is older than this (at most once a minute per person, more often for a short
 * lastKnown): the window counts from a stored time at most this much behind the truth, so it
 * is only ever shorter than configured, never longer.
 */
export function checkWriteAfterMs(policy: { readonly lastKnownMs: number }): number {
  return Math.min(60_000, Math.floor(policy.lastKnownMs / 4));
}
