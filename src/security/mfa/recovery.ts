import { createHash, randomInt } from 'node:crypto';

/** Ten single-use recovery codes, shown once and stored hashed. */
export const RECOVERY_CODE_COUNT = 10;
// Crockford-like base32 without look-alikes: 12 characters = 60 bits per code.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 3;
const GROUP_LEN = 4;
const CODE_SHAPE = new RegExp(`^[${ALPHABET}]{${String(GROUPS * GROUP_LEN)}}$`);

function newCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let s = '';
    for (let i = 0; i < GROUP_LEN; i++) s += ALPHABET[randomInt(ALPHABET.length)] ?? 'a';
    groups.push(s);
  }
  return groups.join('-');
}

export function newRecoveryCodes(): string[] {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(newCode());
  return [...codes];
}

/** The code as typed, normalised (case, spaces, dashes), or undefined when it cannot be one. */
export function normaliseRecoveryCode(code: string): string | undefined {
  if (code.length > 40) return undefined;
  const c = code.toLowerCase().replace(/[\s-]/g, '');
  return CODE_SHAPE.test(c) ? c : undefined;
}

/**
 * The stored form of a recovery code: SHA-256 over the person and the code. The codes are
 * random (60 bits), so a slow password hash adds nothing; the `sub` keeps equal codes of two
 * people apart.
 */
export function hashRecoveryCode(sub: string, code: string): string | undefined {
  const c = normaliseRecoveryCode(code);
  return c === undefined
    ? undefined
    : createHash('sha256').update(`sigil-recovery:${sub}:${c}`).digest('base64url');
}
