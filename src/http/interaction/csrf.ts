import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens for the interaction forms: an HMAC of the interaction uid under a secret every
 * replica shares. The interaction is already bound to its cookie; the token also stops a
 * cross-site form post that rides on that cookie.
 */
export interface Csrf {
  token(uid: string): string;
  verify(uid: string, token: unknown): boolean;
}

export function createCsrf(secret: string): Csrf {
  const token = (uid: string) =>
    createHmac('sha256', secret).update(`interaction:${uid}`).digest('base64url');
  return {
    token,
    verify(uid, given) {
      if (typeof given !== 'string' || given.length > 128) return false;
      const a = Buffer.from(token(uid));
      const b = Buffer.from(given);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
