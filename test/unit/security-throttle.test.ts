import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  decide,
  normaliseUsername,
  throttleIpKey,
  clientAddress,
  type ThrottleSettings,
} from '../../src/security/index.js';
import type { ThrottleState } from '../../src/storage/index.js';

const S: ThrottleSettings = {
  enabled: true,
  username: { maxFailures: 10, windowMs: 900_000, lockoutMs: 900_000 },
  ip: { maxFailures: 100, windowMs: 900_000, lockoutMs: 900_000 },
  backoff: { after: 3, initialMs: 1000, maxMs: 60_000 },
};
const T0 = new Date('2026-11-28T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const user = (over: Partial<ThrottleState>): ThrottleState => ({
  scope: 'user',
  key: 'alice',
  failures: 1,
  windowStart: T0,
  lastFailure: T0,
  lockedUntil: undefined,
  ...over,
});

describe('throttle decisions', () => {
  it('allows a clean slate', () => {
    expect(decide(undefined, undefined, S, T0)).toEqual({
      allowed: true,
      retryAfterSec: 0,
      failures: 0,
    });
  });

  it.each([
    [0, 0],
    [2, 0],
    [3, 1000],
    [4, 2000],
    [5, 4000],
    [9, 60_000],
    [40, 60_000],
  ])('back-off after %i failures is %i ms', (failures, expected) => {
    expect(backoffMs(failures, S.backoff)).toBe(expected);
  });

  it('turns back-off off with initial 0', () => {
    expect(backoffMs(50, { ...S.backoff, initialMs: 0 })).toBe(0);
  });

  it('refuses during back-off and allows after it', () => {
    const u = user({ failures: 4, lastFailure: at(10_000) });
    expect(decide(u, undefined, S, at(11_000))).toMatchObject({
      allowed: false,
      reason: 'throttled',
      retryAfterSec: 1,
    });
    expect(decide(u, undefined, S, at(12_000))).toMatchObject({ allowed: true, failures: 4 });
  });

  it('refuses while locked, with the seconds left, and forgets the lock once it has passed', () => {
    const u = user({ failures: 10, lastFailure: at(60_000), lockedUntil: at(960_000) });
    expect(decide(u, undefined, S, at(61_000))).toMatchObject({
      allowed: false,
      reason: 'locked',
      retryAfterSec: 899,
    });
    expect(decide(u, undefined, S, at(960_001))).toMatchObject({ allowed: true, failures: 0 });
  });

  it('ignores failures outside the window', () => {
    const u = user({ failures: 8, lastFailure: at(1000) });
    expect(decide(u, undefined, S, at(900_001))).toMatchObject({ allowed: true, failures: 0 });
  });

  it('refuses a locked IP for any username', () => {
    const ip: ThrottleState = {
      ...user({ failures: 100, lockedUntil: at(5000) }),
      scope: 'ip',
      key: '10.0.0.1',
    };
    expect(decide(undefined, ip, S, at(1000))).toMatchObject({
      allowed: false,
      reason: 'ip_locked',
      retryAfterSec: 4,
    });
  });
});

describe('throttle keys', () => {
  it.each([
    ['Alice', 'alice'],
    ['  alice ', 'alice'],
    ['ALİCE', 'ali̇ce'],
    ['ａｌｉｃｅ', 'alice'], // full-width letters fold to ASCII (NFKC)
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseUsername(input)).toBe(expected);
  });

  it('hashes long names and names with control characters', () => {
    expect(normaliseUsername('a'.repeat(300))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(normaliseUsername('al\u0000ice')).toMatch(/^sha256:/);
    expect(normaliseUsername('al\u0000ice')).not.toBe(normaliseUsername('alice'));
  });

  it.each([
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::9', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['', 'unknown'],
  ])('keys address %j as %j', (ip, key) => {
    expect(throttleIpKey(ip)).toBe(key);
  });

  it('unwraps IPv4-mapped addresses for the trail', () => {
    expect(clientAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});
