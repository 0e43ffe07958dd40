import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What the pages of a second factor carry between requests: the person whose password was
 * right, for one interaction, for a short while (stage `password`), or the finished login
 * with its `amr` (stage `done`, after recovery codes were shown). Signed with a secret every
 * replica shares, bound to the interaction uid (itself bound to the browser's cookie), so no
 * replica needs memory of the step before.
 */
export interface MfaTicket {
  readonly uid: string;
  readonly stage: 'password' | 'done';
  readonly sub: string;
  readonly connectorId: string;
  readonly username: string;
  /** Stage `done`: the methods of the login (RFC 8176). */
  readonly amr?: readonly string[];
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

export interface MfaTickets {
  issue(t: Omit<MfaTicket, 'exp'>): string;
  /** The ticket of interaction `uid`, or undefined (forged, expired, another interaction). */
  read(uid: string, token: string | undefined): MfaTicket | undefined;
}

/** A ticket is good for this long: long enough to find the phone, short of the interaction. */
const TTL_SEC = 10 * 60;
const MAX_CHARS = 4096;

export function createMfaTickets(secret: string, now: () => number = Date.now): MfaTickets {
  const mac = (body: string): string =>
    createHmac('sha256', secret).update(`sigil-mfa-ticket:${body}`).digest('base64url');
  return {
    issue(t) {
      const body = Buffer.from(
        JSON.stringify({ ...t, exp: Math.floor(now() / 1000) + TTL_SEC }),
      ).toString('base64url');
      return `${body}.${mac(body)}`;
    },
    read(uid, token) {
      if (token === undefined || token.length > MAX_CHARS) return undefined;
      const [body, sig, ...rest] = token.split('.');
      if (body === undefined || sig === undefined || rest.length > 0) return undefined;
      const want = Buffer.from(mac(body));
      const got = Buffer.from(sig);
      if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
      let t: MfaTicket;
      try {
        t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as MfaTicket;
      } catch {
        return undefined;
      }
      if (t.uid !== uid || typeof t.exp !== 'number' || t.exp < now() / 1000) return undefined;
      return t;
    },
  };
}
