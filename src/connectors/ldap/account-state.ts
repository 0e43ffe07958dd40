import type { Entry } from 'ldapts';
import { firstString } from './entry.js';

/**
 * Account state read from the user entry, for the directories that keep it in attributes.
 * Honoured at login (after the bind) and at refresh (where there is no bind to fail).
 */

/** userAccountControl / msDS-User-Account-Control-Computed bits (MS-ADTS 2.2.16). */
export const UAC = { ACCOUNTDISABLE: 0x2, LOCKOUT: 0x10, PASSWORD_EXPIRED: 0x80_0000 } as const;

/** Attributes to request for the checks below (operational or constructed ones must be named). */
export const ACCOUNT_STATE_ATTRIBUTES = [
  'userAccountControl',
  'msDS-User-Account-Control-Computed',
  'accountExpires',
  'pwdAccountLockedTime',
  'nsAccountLock',
] as const;

export type AccountState = 'disabled' | 'locked' | 'expired' | 'password_expired';

/** The `never` values of AD's accountExpires (FILETIME, 100 ns since 1601). */
const NEVER = new Set(['0', '9223372036854775807']);
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

function uacBits(entry: Entry): number {
  let bits = 0;
  for (const name of ['userAccountControl', 'msDS-User-Account-Control-Computed']) {
    const v = firstString(entry, name);
    if (v !== undefined && /^-?\d+$/.test(v.trim())) bits |= Number(v.trim());
  }
  return bits;
}

function accountExpired(entry: Entry, now: Date): boolean {
  const v = firstString(entry, 'accountExpires')?.trim();
  if (v === undefined || NEVER.has(v) || !/^\d+$/.test(v)) return false;
  const unixMs = (BigInt(v) - FILETIME_UNIX_EPOCH) / 10_000n;
  return unixMs <= BigInt(now.getTime());
}

/**
 * Why the entry may not be used, or undefined. `pwdAccountLockedTime` (ppolicy) is read only
 * when `includePpolicyLock`: after a successful bind the server already applied it (a value
 * left behind by an expired temporary lock is cleared on the next successful bind); at refresh
 * there is no bind, so any value counts as locked, the conservative reading without the policy's
 * pwdLockoutDuration.
 */
export function accountState(
  entry: Entry,
  opts: { includePpolicyLock: boolean; now?: Date },
): AccountState | undefined {
  const bits = uacBits(entry);
  if ((bits & UAC.ACCOUNTDISABLE) !== 0) return 'disabled';
  if (/^true$/i.test(firstString(entry, 'nsAccountLock')?.trim() ?? '')) return 'disabled';
  if ((bits & UAC.LOCKOUT) !== 0) return 'locked';
  if (opts.includePpolicyLock && firstString(entry, 'pwdAccountLockedTime') !== undefined)
    return 'locked';
  if (accountExpired(entry, opts.now ?? new Date())) return 'expired';
  if ((bits & UAC.PASSWORD_EXPIRED) !== 0) return 'password_expired';
  return undefined;
}
