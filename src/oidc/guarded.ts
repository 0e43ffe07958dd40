import { errors } from 'oidc-provider';
import type { GuardedAuthenticate, LoginChannel } from '../security/index.js';
import { scopesFrom } from './accounts.js';
import type { PasswordCheck } from './password-grant.js';

/**
 * Adapts the guarded login (throttle, reserved names, access policy, audit) to the shape the
 * password grant (and any other grant that checks a password) calls: a PasswordCheck. A
 * refusal for any reason reads as a wrong password; an access-policy denial is an access_denied
 * error with a description; an outage still throws CONNECTOR_UNAVAILABLE.
 */
export function grantAuthenticator(
  guarded: GuardedAuthenticate,
  channel: LoginChannel = 'password_grant',
): PasswordCheck {
  return async (ctx, connectorId, username, password, scope) => {
    const r = await guarded({
      connectorId,
      username,
      password,
      scopes: scopesFrom(scope, false),
      clientId: ctx.oidc.client?.clientId,
      ip: ctx.ip,
      channel,
    });
    if (r.ok) return { ok: true, sub: r.sub, identity: r.identity };
    if (r.denied) throw new errors.AccessDenied(r.description);
    return { ok: false, reason: 'bad_password' };
  };
}
