import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Audit } from '../security/index.js';
import { hashId } from '../storage/index.js';

/**
 * Turns oidc-provider's events into audit events: every token issue and refresh (grant type,
 * client, audience, groups, kid, the id_token's jti, and sha256 ids of the opaque tokens,
 * which are what the adapter stores), refused refreshes, revocations and logouts. A Provider
 * is rebuilt when keys rotate, so this runs for each new instance (like the metrics hooks).
 * Nothing here reads or records a token value.
 */

function idTokenFacts(body: unknown): Record<string, unknown> {
  const idToken =
    body !== null && typeof body === 'object'
      ? (body as Record<string, unknown>)['id_token']
      : undefined;
  if (typeof idToken !== 'string') return {};
  try {
    const header = decodeProtectedHeader(idToken);
    const claims = decodeJwt(idToken);
    return {
      kid: header.kid,
      alg: header.alg,
      idTokenJti: claims.jti,
      audience: claims.aud,
      groups: Array.isArray(claims['groups']) ? claims['groups'] : undefined,
      expiresAt:
        typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined,
    };
  } catch {
    return {};
  }
}

function tokenHash(entity: unknown): string | undefined {
  const jti = (entity as { jti?: unknown } | undefined)?.jti;
  return typeof jti === 'string' ? hashId(jti) : undefined;
}

function who(ctx: KoaContextWithOIDC): { sub?: string; username?: string } {
  const account = ctx.oidc.account;
  const username = account?.['username'];
  return {
    ...(account === undefined ? {} : { sub: account.accountId }),
    ...(typeof username === 'string' ? { username } : {}),
  };
}

function grantType(ctx: KoaContextWithOIDC): string | undefined {
  const gt = (ctx.oidc.params as Record<string, unknown> | undefined)?.['grant_type'];
  return typeof gt === 'string' ? gt : undefined;
}

export interface AuditEventsDeps {
  /** The username behind a `sub`, for events where oidc-provider only knows the sub. */
  usernameOf?: (sub: string) => Promise<string | undefined>;
}

export function auditProviderEvents(
  provider: Provider,
  audit: Audit,
  deps: AuditEventsDeps = {},
): void {
  const named = async (sub: string | undefined) => {
    if (sub === undefined || deps.usernameOf === undefined) return {};
    const username = await deps.usernameOf(sub).catch(() => undefined);
    return username === undefined ? { sub } : { sub, username };
  };
  const on = (event: string, fn: (...args: unknown[]) => void) => {
    (provider as unknown as NodeJS.EventEmitter).on(event, fn);
  };

  on('grant.success', grantSuccess(audit));

  on('grant.error', (c, e) => {
    const ctx = c as KoaContextWithOIDC;
    if (grantType(ctx) !== 'refresh_token' || audit.wasRecorded(ctx)) return;
    const err = e instanceof errors.OIDCProviderError ? e : undefined;
    void audit.record({
      event: 'token.refresh_denied',
      outcome: err !== undefined && err.status < 500 ? 'denied' : 'failure',
      ...who(ctx),
      clientId: ctx.oidc.client?.clientId,
      ip: ctx.ip,
      reason: err?.error ?? 'server_error',
      details: {
        description:
          (err as { error_detail?: unknown } | undefined)?.error_detail ?? err?.error_description,
      },
    });
  });

  on('grant.revoked', grantRevoked(audit, named));

  on('end_session.success', (c) => {
    const ctx = c as KoaContextWithOIDC;
    const sub = ctx.oidc.session?.accountId;
    void named(sub).then((user) =>
      audit.record({
        event: 'logout',
        outcome: 'success',
        sub,
        ...user,
        clientId: ctx.oidc.client?.clientId,
        ip: ctx.ip,
      }),
    );
  });
}

/** A token answer: issued, or refreshed. */
function grantSuccess(audit: Audit): (c: unknown) => void {
  return (c) => {
    const ctx = c as KoaContextWithOIDC;
    const gt = grantType(ctx);
    const entities = ctx.oidc.entities as Record<string, unknown>;
    const scope = (ctx.body as { scope?: unknown } | undefined)?.scope;
    void audit.record({
      event: gt === 'refresh_token' ? 'token.refreshed' : 'token.issued',
      outcome: 'success',
      ...who(ctx),
      clientId: ctx.oidc.client?.clientId,
      ip: ctx.ip,
      details: {
        grantType: gt,
        scope: typeof scope === 'string' ? scope : undefined,
        ...idTokenFacts(ctx.body),
        grantId: tokenHash(entities['Grant']),
        accessTokenId: tokenHash(entities['AccessToken']),
        refreshTokenId: tokenHash(entities['RefreshToken']),
        rotatedRefreshTokenId: tokenHash(entities['RotatedRefreshToken']),
      },
    });
  };
}

/** A grant or token revoked: by a revocation request, a reused code or refresh token, a logout. */
function grantRevoked(
  audit: Audit,
  named: (sub: string | undefined) => Promise<{ sub?: string; username?: string }>,
): (c: unknown, grantId: unknown) => void {
  return (c, grantId) => {
    const ctx = c as KoaContextWithOIDC;
    const route = ctx.oidc.route;
    const entities = ctx.oidc.entities as Record<string, unknown>;
    const revoked =
      entities['RefreshToken'] ?? entities['AccessToken'] ?? entities['AuthorizationCode'];
    const owner = revoked as { accountId?: unknown } | undefined;
    const sub =
      typeof owner?.accountId === 'string' ? owner.accountId : ctx.oidc.session?.accountId;
    void named(sub).then((user) =>
      audit.record({
        event: route === 'revocation' ? 'token.revoked' : 'grant.revoked',
        outcome: 'success',
        sub,
        ...user,
        clientId: ctx.oidc.client?.clientId,
        ip: ctx.ip,
        reason:
          route === 'revocation'
            ? 'revocation_request'
            : route === 'token'
              ? grantType(ctx) === 'authorization_code'
                ? 'code_reuse'
                : 'refresh_token_reuse'
              : route === 'end_session_confirm'
                ? 'logout'
                : route,
        details: {
          grantId: typeof grantId === 'string' ? hashId(grantId) : undefined,
          tokenKind: (revoked as { kind?: unknown } | undefined)?.kind,
          tokenId: tokenHash(revoked),
        },
      }),
    );
  };
}
