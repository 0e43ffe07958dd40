/** Longest username sent to the directory; longer ones are refused without I/O. */
export const MAX_USERNAME_LENGTH = 256;

// Control characters (NUL included), lone surrogates (not valid UTF-8), and non-characters.
const FORBIDDEN = /[\p{Cc}\p{Cs}\uFFFE\uFFFF]/u;

/**
 * A username is sent to the directory only when it is something a person could type: not
 * empty or blank, at most 256 UTF-16 code units, valid UTF-8 (no lone surrogates), and free of
 * control characters. LDAP metacharacters (`*`, `(`, `)`, `\`) are fine: they only ever travel
 * as an equality value (see filters.ts).
 */
export function isAcceptableUsername(username: string): boolean {
  return (
    username.trim() !== '' && username.length <= MAX_USERNAME_LENGTH && !FORBIDDEN.test(username)
  );
}
