import { describe, expect, it } from 'vitest';
import { checkWriteAfterMs, outageDecision } from '../../src/oidc/outage.js';

describe('directory outage policy decision', () => {
  const now = new Date('2026-12-05T10:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const policy = { lastKnownMs: 4 * 3600_000 };

  it('fails closed without a lastKnown policy (the default)', () => {
    expect(outageDecision({ checkedAt: ago(1000) }, undefined, now)).toEqual({
      degrade: false,
      why: 'fail_closed',
    });
  });

  it('reissues within lastKnown of the last real check, and not a moment beyond', () => {
    expect(outageDecision({ checkedAt: ago(3600_000) }, policy, now)).toEqual({
      degrade: true,
      ageMs: 3600_000,
    });
    expect(outageDecision({ checkedAt: ago(policy.lastKnownMs) }, policy, now).degrade).toBe(true);
    expect(outageDecision({ checkedAt: ago(policy.lastKnownMs + 1) }, policy, now)).toEqual({
      degrade: false,
      why: 'last_check_too_old',
    });
    // A check time in the future (clock skew between replicas) is not trusted.
    expect(outageDecision({ checkedAt: ago(-60_000) }, policy, now).degrade).toBe(false);
  });

  it('never revives an account the directory refused before the outage', () => {
    const refused = { at: ago(10), reason: 'disabled' };
    expect(outageDecision({ checkedAt: ago(1000), refused }, policy, now)).toEqual({
      degrade: false,
      why: 'refused_before_outage',
    });
  });

  it('writes the check time at most once a minute, more often for a short lastKnown', () => {
    expect(checkWriteAfterMs(policy)).toBe(60_000);
    expect(checkWriteAfterMs({ lastKnownMs: 8000 })).toBe(2000);
  });
});
