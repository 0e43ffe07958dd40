import { createHmac } from 'node:crypto';

/** The shared secret (storage `secrets` table) that keys every session id. */
export const SESSION_ID_SECRET = 'session-id';

/** Length of a session id: 22 base64url characters, 132 bits of the HMAC. */
export const SESSION_ID_LENGTH = 22;

/**
 * The session id (`sid`) of a login: one oidc-provider grant, whose refresh-token family keeps
 * the same grantId. The same string is the `sid` claim of every id_token of that family, the
 * id of its row in `login_sessions`, in `sigil sessions`, `/api/v1/sessions/{id}` and in deny
 * rules. Keyed (HMAC-SHA256 with the shared `session-id` secret) so that a sid reveals nothing
 * about the grant id, which is a handle oidc-provider looks tokens up by.
 */
export function sessionIdFor(key: string, grantId: string): string {
  return createHmac('sha256', key)
    .update(`sigil-session:${grantId}`)
    .digest('base64url')
    .slice(0, SESSION_ID_LENGTH);
}
