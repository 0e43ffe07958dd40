import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Logger } from '../log.js';
import type { SessionStart } from '../security/index.js';
import { requestedAudiences } from './audiences.js';

/** Where the token endpoint reports logins and their uses (security's SessionService). */
export interface SessionRecorder {
  started(s: SessionStart): Promise<void>;
  used(id: string, ip: string | undefined, idleExpiresAt: Date | undefined): void;
}

export interface SessionRecordingDeps {
  readonly recorder: SessionRecorder;
  readonly sessionId: (grantId: string) => string;
  /** expiry.refreshTokens.absoluteLifetime, ms. */
  readonly absoluteLifetimeMs: number;
  readonly log: Logger;
}

interface TokenLike {
  grantId?: string;
  /** Seconds left (oidc-provider's getter; tokens carry no `exp` of their own). */
  readonly expiration?: number;
  iiat?: number;
  amr?: string[];
  scope?: string;
  sessionUid?: string;
}

const at = (sec: number): Date => new Date(sec * 1000);
/** When a token expires: now plus what it has left. */
const expiryOf = (t: TokenLike | undefined): Date | undefined =>
  typeof t?.expiration === 'number' ? new Date(Date.now() + t.expiration * 1000) : undefined;

/** What a successful token answer tells about the login it belongs to. */
function loginOf(ctx: KoaContextWithOIDC, deps: SessionRecordingDeps): SessionStart | undefined {
  const e = ctx.oidc.entities as Record<string, TokenLike | undefined>;
  const rt = e['RefreshToken'];
  const access = e['AccessToken'];
  const source = e['AuthorizationCode'] ?? e['DeviceCode'];
  const grantId = rt?.grantId ?? access?.grantId;
  const sub = ctx.oidc.account?.accountId;
  const clientId = ctx.oidc.client?.clientId;
  if (grantId === undefined || sub === undefined || clientId === undefined) return undefined;
  const now = Math.floor(Date.now() / 1000);
  const absolute = (rt?.iiat ?? now) + Math.round(deps.absoluteLifetimeMs / 1000);
  const userAgent = ctx.get('user-agent');
  const gty: unknown = ctx.oidc.params?.['grant_type'];
  return {
    id: deps.sessionId(grantId),
    grantId,
    sub,
    clientId,
    audiences: [clientId, ...requestedAudiences(access?.scope ?? rt?.scope)],
    grantType: typeof gty === 'string' ? gty : '',
    amr: rt?.amr ?? source?.amr,
    userAgent: userAgent === '' ? undefined : userAgent,
    ip: ctx.ip === '' ? undefined : ctx.ip,
    browserSession: source?.sessionUid,
    idleExpiresAt: expiryOf(rt),
    expiresAt: rt === undefined ? (expiryOf(access) ?? at(now)) : at(absolute),
  };
}

/**
 * Every successful token answer: a new login (authorization code, device code, password grant)
 * is recorded as a session; a refresh is a use of its session, coalesced by the recorder (no
 * write per refresh). Client credentials tokens belong to no person and no session.
 */
export function recordSessions(provider: Provider, deps: SessionRecordingDeps): void {
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as Partial<KoaContextWithOIDC>).oidc;
    if (oidc?.route !== 'token' || ctx.status !== 200) return;
    const gty = oidc.params?.['grant_type'];
    if (gty === 'client_credentials') return;
    const c = ctx as KoaContextWithOIDC;
    if (gty === 'refresh_token') {
      const rt = oidc.entities.RefreshToken as TokenLike | undefined;
      if (rt?.grantId !== undefined)
        deps.recorder.used(
          deps.sessionId(rt.grantId),
          ctx.ip === '' ? undefined : ctx.ip,
          expiryOf(rt),
        );
      return;
    }
    const login = loginOf(c, deps);
    if (login === undefined) return;
    try {
      await deps.recorder.started(login);
    } catch (err) {
      // The tokens are issued; a session that could not be recorded is still revocable by
      // offboarding (which ends every grant of the person), so the login is not failed.
      deps.log.warn({ err, sessionId: login.id }, 'session not recorded');
    }
  });
}
