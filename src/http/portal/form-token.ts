import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The CSRF token of a /home form: an HMAC, under the page's own key, of the page's name, the
 * person and (where the page binds it) their web session's expiry, so a token works for one
 * page, one person and one session. The forms carry it in a hidden `csrf` field.
 */
export function formToken(key: string, page: string, sub: string, exp?: number): string {
  const bound = exp === undefined ? `${page}:${sub}` : `${page}:${sub}:${exp}`;
  return createHmac('sha256', key).update(bound).digest('base64url');
}

/** Whether the `csrf` a form sent is `want`, compared in constant time. */
export function formTokenMatches(want: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}
