import { createHash, randomBytes } from 'node:crypto';

/**
 * The authorization request a client sends the browser to (`/auth?…`), built in one place for
 * the tests and the bench (no vitest import here).
 */

/** A PKCE pair (RFC 7636, S256): a random verifier and its challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthRequest {
  clientId: string;
  redirectUri: string;
  /** Default `openid`. */
  scope?: string;
  /** The PKCE S256 challenge; default a fresh one (its verifier unused); `null`: no PKCE. */
  challenge?: string | null;
  state?: string;
  nonce?: string;
  /** More parameters, or replacements of the ones above (`response_type`, `login_hint`…). */
  extra?: Record<string, string>;
}

/** The query of an authorization code request, PKCE S256 unless `challenge` is null. */
export function authQuery(o: AuthRequest): URLSearchParams {
  const challenge = o.challenge === undefined ? pkce().challenge : o.challenge;
  return new URLSearchParams({
    client_id: o.clientId,
    response_type: 'code',
    scope: o.scope ?? 'openid',
    redirect_uri: o.redirectUri,
    ...(challenge === null ? {} : { code_challenge: challenge, code_challenge_method: 'S256' }),
    ...(o.state === undefined ? {} : { state: o.state }),
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
    ...o.extra,
  });
}

/** `/auth?<query>`: the path of the authorization request on the issuer. */
export function authPath(o: AuthRequest): string {
  return `/auth?${authQuery(o).toString()}`;
}
