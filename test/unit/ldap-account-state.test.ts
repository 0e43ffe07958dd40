import { describe, expect, it } from 'vitest';
import { accountState } from '../../src/connectors/ldap/account-state.js';

const now = new Date('2026-06-01T00:00:00Z');
const filetime = (d: Date) => String(BigInt(d.getTime()) * 10_000n + 116_444_736_000_000_000n);

describe('account state from entry attributes', () => {
  it.each([
    [{}, undefined],
    [{ userAccountControl: '512' }, undefined],
    [{ userAccountControl: '514' }, 'disabled'],
    [{ useraccountcontrol: '66050' }, 'disabled'],
    [{ userAccountControl: '528' }, 'locked'],
    [{ userAccountControl: '512', 'msDS-User-Account-Control-Computed': '16' }, 'locked'],
    [{ 'msDS-User-Account-Control-Computed': String(0x800000) }, 'password_expired'],
    [{ nsAccountLock: 'TRUE' }, 'disabled'],
    [{ nsAccountLock: 'false' }, undefined],
    [{ accountExpires: '0' }, undefined],
    [{ accountExpires: '9223372036854775807' }, undefined],
    [{ accountExpires: filetime(new Date('2026-05-31T00:00:00Z')) }, 'expired'],
    [{ accountExpires: filetime(new Date('2026-06-02T00:00:00Z')) }, undefined],
  ] as const)('%j → %s', (attrs, expected) => {
    expect(accountState({ dn: 'uid=x', ...attrs }, { includePpolicyLock: true, now })).toBe(
      expected,
    );
  });

  it('reads pwdAccountLockedTime only when asked (after a successful bind the server already judged it)', () => {
    const entry = { dn: 'uid=x', pwdAccountLockedTime: '20260101000000Z' };
    expect(accountState(entry, { includePpolicyLock: true, now })).toBe('locked');
    expect(accountState(entry, { includePpolicyLock: false, now })).toBeUndefined();
  });
});
