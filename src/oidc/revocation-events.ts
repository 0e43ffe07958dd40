import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Logger } from '../log.js';
import type { Revocations } from '../security/index.js';
import type { Queryable } from '../storage/index.js';

/**
 * A reused refresh token or authorization code is a sign of theft: oidc-provider then revokes
 * the whole grant (`grant.revoked` on the token endpoint). sigil's adapter reads a refresh
 * token as unconsumed during the reuse grace window (expiry.refreshTokens.reuseInterval), so
 * this fires only for a reuse after it. The grant's refresh tokens are gone, but the id_tokens
 * it already issued are bearer credentials: its session (`sid`) becomes a deny entry too, so
 * the clusters refuse them. A Provider is rebuilt when keys rotate; this runs for each.
 */
export interface RevokeOnReuseDeps {
  readonly db: Queryable;
  readonly revocations: Pick<Revocations, 'revokeSessions'>;
  readonly sessionId: (grantId: string) => string;
  readonly log: Logger;
}

const REUSE_GRANTS: Readonly<Record<string, string>> = {
  refresh_token: 'refresh_token_reuse',
  authorization_code: 'code_reuse',
};

export function revokeSessionsOnReuse(provider: Provider, deps: RevokeOnReuseDeps): void {
  (provider as unknown as NodeJS.EventEmitter).on('grant.revoked', (c: unknown, g: unknown) => {
    const ctx = c as KoaContextWithOIDC;
    const grantType = (ctx.oidc.params as Record<string, unknown> | undefined)?.['grant_type'];
    const reason = typeof grantType === 'string' ? REUSE_GRANTS[grantType] : undefined;
    if (ctx.oidc.route !== 'token' || reason === undefined || typeof g !== 'string') return;
    const entities = ctx.oidc.entities as Record<string, { accountId?: unknown } | undefined>;
    const owner = (entities['RefreshToken'] ?? entities['AuthorizationCode'])?.accountId;
    const sub = typeof owner === 'string' ? owner : undefined;
    deps.revocations
      .revokeSessions(deps.db, [{ sid: deps.sessionId(g), sub }], {
        reason,
        actor: { kind: 'system', id: 'token-endpoint' },
      })
      .catch((err: unknown) => {
        deps.log.error(
          { event: 'revocation.failed', reason, sub, err },
          'could not record the deny entry for a reused token',
        );
      });
  });
}
