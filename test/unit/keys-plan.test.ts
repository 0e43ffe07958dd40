import { describe, expect, it } from 'vitest';
import { planRotation, type KeyStatusRow } from '../../src/keys/index.js';

const row = (state: string, over: Partial<KeyStatusRow> = {}): KeyStatusRow => ({
  kid: `${state}-kid`,
  alg: 'RS256',
  state,
  period_over: false,
  published_enough: false,
  expired: false,
  wait_ms: null,
  ...over,
});

describe('rotation plan (decided again under the lock: compare and swap)', () => {
  it('rotates only when the period is over AND the next key was published for the lead time', () => {
    const cases: [boolean, boolean, boolean][] = [
      [false, false, false],
      [true, false, false],
      [false, true, false],
      [true, true, true],
    ];
    for (const [periodOver, published, expected] of cases) {
      const plan = planRotation(
        [
          row('active', { period_over: periodOver, wait_ms: periodOver ? -5 : 1000 }),
          row('next', { published_enough: published, wait_ms: published ? -1 : 3000 }),
        ],
        false,
      );
      expect(plan.promote, `period over ${periodOver}, published ${published}`).toBe(expected);
      expect(plan.createNext).toBe(expected);
      expect(plan.dueInMs).toBe(expected ? undefined : periodOver ? 3000 : published ? 1000 : 3000);
    }
  });

  it('--now promotes the published next key whatever the times', () => {
    const plan = planRotation([row('active'), row('next')], true);
    expect(plan.promote).toBe(true);
    expect(plan.createNext).toBe(true);
  });

  it('never promotes without a next key; creates one instead', () => {
    const plan = planRotation([row('active', { period_over: true })], true);
    expect(plan.promote).toBe(false);
    expect(plan.createNext).toBe(true);
  });

  it('without an active key, the published next key signs (not a brand-new key)', () => {
    const plan = planRotation([row('next')], false);
    expect(plan.promote).toBe(true);
    expect(plan.noActive).toBe(true);
    expect(plan.createNext).toBe(true);
  });

  it('removes retired keys past remove_after, and only those', () => {
    const plan = planRotation(
      [
        row('active'),
        row('next'),
        { ...row('retired', { expired: true }), kid: 'old' },
        { ...row('retired'), kid: 'recent' },
      ],
      false,
    );
    expect(plan.remove).toEqual(['old']);
    expect(plan.promote).toBe(false);
  });
});
