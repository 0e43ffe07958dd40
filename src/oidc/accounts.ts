import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Account, AccountClaims, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type {
  Identity,
  LoginFailureReason,
  PasswordConnector,
  Scopes,
} from '../connectors/index.js';
import { ADMIN_SCOPE } from '../config/index.js';
import { AppError, isAppError } from '../errors.js';
import { anyOf, type GroupMatcher } from '../lib/index.js';
import type { Logger } from '../log.js';
import {
  ACR_MFA,
  type AccessPolicy,
  type Audit,
  type ElevatedTokens,
  type MfaPolicy,
  type Revocations,
} from '../security/index.js';
import {
  findIdentity,
  markIdentityChecked,
  markIdentityRefused,
  saveIdentity,
  type ActiveElevation,
  type Queryable,
  type RequestMemo,
} from '../storage/index.js';
import { checkWriteAfterMs, outageDecision, type LastKnown } from './outage.js';
import { retryable } from './unavailable.js';

/** The claims one client's id_token would carry, or why that client refuses the person. */
export type ClientTokenClaims =
  | { readonly ok: true; readonly claims: AccountClaims }
  | { readonly ok: false; readonly reason: string };

export type AuthenticateResult =
  { ok: true; sub: string; identity: Identity } | { ok: false; reason: LoginFailureReason };

export interface AccountServiceDeps {
  db: Queryable;
  connectors: readonly PasswordConnector[];
  log: Logger;
  /** Per-client access policy and groups claim (allowedGroups, groupFilter, maxGroups, reserved prefixes). */
  access?: AccessPolicy;
  /** Where refresh refusals and policy denials are recorded. */
  audit?: Audit;
  /**
   * The session id of a grant (session-id.ts, keyed with the shared `session-id` secret): the
   * `sid` claim of every id_token. Without it id_tokens carry no `sid`.
   */
  sessionId?: (grantId: string) => string;
  /**
   * Deny entries for the clusters: a person the directory reports deleted, disabled, locked
   * or expired at refresh loses the id_tokens already issued too (src/security/revocation/).
   */
  revocations?: Pick<Revocations, 'revokeSubject'>;
  /** admin.groups: people in one of these may be granted the admin scope. */
  adminGroups?: readonly string[];
  /** Who must have passed a second factor: checked for every token the token endpoint issues. */
  mfa?: MfaPolicy;
  /** What the current request already read (the refresh token's lookup brings the identity). */
  memo?: RequestMemo;
  /** Counts a refresh answered from the last-known identity (outagePolicy lastKnown). */
  onDegraded?: (connectorId: string) => void;
  /** The time (tests); default the system clock. */
  now?: () => Date;
  /** Just-in-time elevation: the active grants' groups in id_tokens (issue 16). */
  elevation?: ElevatedTokens;
}

/** What an id_token of this request carries beyond the directory: elevated groups. */
interface Elevated {
  readonly groups: readonly string[];
  /** Called with each id_token's jti before it is issued (audit, the login's sid noted). */
  readonly issued: (jti: string) => Promise<void>;
}

/** What a person who needs a second factor is told on a grant that cannot ask for one. */
export const MFA_REQUIRED_DESCRIPTION =
  'this account requires a multi-factor login; use the browser or device flow';
type Stored = NonNullable<Awaited<ReturnType<typeof storedIdentity>>>;

/** Refresh refusals that mean the account itself is gone: its issued tokens are revoked too. */
const ACCOUNT_GONE: ReadonlySet<string> = new Set(['deleted', 'disabled', 'locked', 'expired']);

export function scopesFrom(scope: string | undefined, offlineAccess: boolean): Scopes {
  const set = new Set((scope ?? '').split(' '));
  return { groups: set.has('groups'), offlineAccess: offlineAccess || set.has('offline_access') };
}

/** Whether two identities store alike (compared as the JSON the identities table holds). */
function sameIdentity(a: Identity, b: Identity): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

/** Builds the claims an account answers with, from the identity a connector returned. */
export function identityClaims(sub: string, identity: Identity): AccountClaims {
  return {
    sub,
    name: identity.name ?? identity.username,
    preferred_username: identity.preferredUsername ?? identity.username,
    ...(identity.email === undefined
      ? {}
      : { email: identity.email, email_verified: identity.emailVerified }),
    groups: [...identity.groups],
  };
}

/** The claims one client gets: the identity's, with that client's `groups` claim. */
function clientClaims(
  sub: string,
  identity: Identity,
  access?: AccessPolicy,
  clientId?: string,
): AccountClaims {
  const claims = identityClaims(sub, identity);
  if (access !== undefined) claims['groups'] = access.groupsClaim(clientId, identity.groups);
  return claims;
}

function toAccount(
  sub: string,
  identity: Identity,
  access?: AccessPolicy,
  clientId?: string,
  sid?: string,
  elevated?: Elevated,
): Account {
  // Elevated groups go through the client's groups claim rules like directory groups.
  const groups =
    elevated === undefined
      ? identity.groups
      : [...new Set([...identity.groups, ...elevated.groups])];
  const claims = clientClaims(sub, { ...identity, groups }, access, clientId);
  return {
    accountId: sub,
    // Not a claim: read by the audit trail (src/oidc/audit-events.ts) to name the user.
    username: identity.username,
    // Every id_token gets its own `jti` (mapped under the openid scope), so an entry in the
    // Kubernetes audit log can be traced back to the sigil event that issued the token, and
    // the login's session id `sid` (the same for every refresh of the family).
    claims: async (use) => {
      if (use !== 'id_token') return claims;
      const jti = randomUUID();
      await elevated?.issued(jti);
      return { ...claims, jti, ...(sid === undefined ? {} : { sid }) };
    },
  };
}

/**
 * The grant a token request works on: the code's, device code's or refresh token's (every
 * refresh of a family keeps its grantId), or the one the password grant just saved.
 */
function grantIdOf(ctx: KoaContextWithOIDC, token: Parameters<FindAccount>[2]): string | undefined {
  const fromToken = (token as { grantId?: unknown } | undefined)?.grantId;
  if (typeof fromToken === 'string') return fromToken;
  const grant = (ctx.oidc.entities as { Grant?: { jti?: unknown } } | undefined)?.Grant;
  return typeof grant?.jti === 'string' ? grant.jti : undefined;
}

/**
 * Logins and account lookups: the one place that maps connectors to oidc-provider accounts.
 * `sub` is the connector's stable user id; the identities table remembers which connector
 * owns it, so findAccount (which runs on every refresh) can ask that connector again.
 */
export class AccountService {
  readonly #deps: AccountServiceDeps;
  readonly #byId: ReadonlyMap<string, PasswordConnector>;
  readonly #adminGroup: GroupMatcher;
  /** Per request (never shared): the end of the grants its id_token carries. */
  readonly #caps = new WeakMap<object, Date>();

  constructor(deps: AccountServiceDeps) {
    this.#deps = deps;
    this.#byId = new Map(deps.connectors.map((c) => [c.id, c]));
    this.#adminGroup = anyOf(deps.adminGroups ?? []);
  }

  /** Whether a person with these directory groups is an admin (admin.groups). */
  isAdmin(groups: readonly string[]): boolean {
    return groups.some(this.#adminGroup);
  }

  /**
   * What of `scope` a person may be granted: everything but the admin scope, which needs
   * membership of admin.groups (from the identity last seen, which a login just saved).
   */
  async grantableScope(
    sub: string,
    scope: string,
  ): Promise<{ readonly granted: string; readonly refused: readonly string[] }> {
    const asked = scope.split(' ').filter((s) => s !== '');
    if (!asked.includes(ADMIN_SCOPE)) return { granted: asked.join(' '), refused: [] };
    const stored = await storedIdentity(this.#deps.db, sub);
    if (stored !== undefined && this.isAdmin(stored.identity.groups))
      return { granted: asked.join(' '), refused: [] };
    return { granted: asked.filter((s) => s !== ADMIN_SCOPE).join(' '), refused: [ADMIN_SCOPE] };
  }

  get connectors(): readonly PasswordConnector[] {
    return this.#deps.connectors;
  }

  connector(id: string): PasswordConnector | undefined {
    return this.#byId.get(id);
  }

  /** Checks a password with one connector and records the identity. Outages throw. */
  async authenticate(
    connectorId: string,
    username: string,
    password: string,
    scopes: Scopes,
  ): Promise<AuthenticateResult> {
    const connector = this.#byId.get(connectorId);
    if (connector === undefined)
      throw new AppError('CONNECTOR_NOT_FOUND', `no connector ${connectorId}`);
    const result = await connector.login(scopes, username, password);
    if (!result.ok) return result;
    await saveIdentity(this.#deps.db, connector.id, result.identity, this.#deps.memo);
    return {
      ok: true,
      sub: result.identity.subject ?? result.identity.userId,
      identity: result.identity,
    };
  }

  /**
   * oidc-provider's findAccount. On the refresh grant it re-checks the directory: a deleted,
   * disabled or moved user gets no account (→ invalid_grant), changed groups are saved and
   * show in the new id_token; an unreachable directory answers 503 and the grant survives.
   */
  readonly findAccount: FindAccount = async (ctx: KoaContextWithOIDC, sub: string, token) => {
    try {
      return await this.#findAccount(ctx, sub, token);
    } catch (err) {
      // The identities table unreachable: a retryable 503, not oidc-provider's 500.
      throw retryable(err);
    }
  };

  async #findAccount(
    ctx: KoaContextWithOIDC,
    sub: string,
    token: Parameters<FindAccount>[2],
  ): Promise<Account | undefined> {
    const stored = await storedIdentity(this.#deps.db, sub, this.#deps.memo);
    if (stored === undefined) return undefined;
    const clientId = ctx.oidc.client?.clientId;
    const onToken = ctx.oidc.route === 'token';
    const isRefresh = token?.kind === 'RefreshToken' && onToken;
    const sid = this.#sid(ctx, token);
    if (!isRefresh) {
      if (onToken) {
        await this.#enforce(ctx, sub, stored.identity, false);
        if (token !== undefined) await this.enforceMfa(ctx, sub, stored.identity, loginOf(token));
      }
      const acr = token === undefined ? undefined : loginOf(token).acr;
      await this.#settle(stored, onToken);
      const elevated = this.#elevated(ctx, stored, stored.identity, acr, sid);
      return toAccount(sub, stored.identity, this.#deps.access, clientId, sid, elevated);
    }

    const connector = this.#byId.get(stored.connectorId);
    if (connector === undefined) {
      this.#deps.log.warn(
        {
          event: 'refresh.denied',
          sub,
          connector: stored.connectorId,
          reason: 'connector_removed',
        },
        'refresh denied: connector no longer configured',
      );
      await this.#refused(ctx, sub, stored.identity.username, 'connector_removed');
      return undefined;
    }
    const base = scopesFrom(token.scope, true);
    const scopes =
      this.#deps.access?.needsGroups(clientId) === true || this.#deps.mfa?.needsGroups === true
        ? { ...base, groups: true }
        : base;
    let result;
    try {
      result = await connector.refresh(scopes, stored.identity);
    } catch (err) {
      if (!isAppError(err, 'CONNECTOR_UNAVAILABLE')) throw err;
      const decision = outageDecision(stored, connector.outage, this.#now());
      if (decision.degrade) return this.#degraded(ctx, sub, stored, connector, decision.ageMs);
      this.#deps.log.warn(
        { event: 'refresh.unavailable', sub, connector: connector.id, policy: decision.why, err },
        'refresh failed: directory unreachable',
      );
      await this.#refused(ctx, sub, stored.identity.username, 'directory_down', 'failure');
      // findAccount makes an outage a retryable 503; the grant survives.
      throw err;
    }
    if (!result.ok) {
      this.#deps.log.info(
        { event: 'refresh.denied', sub, connector: connector.id, reason: result.reason },
        'refresh denied by the directory',
      );
      // Remembered, so that an outage never serves this person from the last-known identity.
      if (connector.outage !== undefined)
        await markIdentityRefused(this.#deps.db, sub, result.reason, this.#deps.memo);
      await this.#refused(ctx, sub, stored.identity.username, result.reason);
      if (ACCOUNT_GONE.has(result.reason)) await this.#revokeSubject(sub, result.reason);
      return undefined;
    }
    await this.#confirmed(stored, connector, result.identity);
    await this.#enforce(ctx, sub, result.identity, true);
    await this.enforceMfa(ctx, sub, result.identity, { acr: token.acr, scope: token.scope });
    await this.#settle(stored, true);
    const elevated = this.#elevated(ctx, stored, result.identity, token.acr, sid);
    return toAccount(sub, result.identity, this.#deps.access, clientId, sid, elevated);
  }

  /**
   * The active grants an id_token of this request carries (they came with the identity read:
   * no statement of their own), and the cap of its exp at the earliest grant's end.
   */
  #elevated(
    ctx: KoaContextWithOIDC,
    stored: Stored,
    identity: Identity,
    acr: string | undefined,
    sid: string | undefined,
  ): Elevated | undefined {
    const tokens = this.#deps.elevation;
    if (tokens === undefined || stored.elevations.length === 0) return undefined;
    const clientId = ctx.oidc.client?.clientId;
    const grants = tokens.applicable(stored.elevations, clientId, acr, identity.groups);
    if (grants.length === 0) return undefined;
    this.#caps.set(ctx, new Date(Math.min(...grants.map((g) => g.endsAt.getTime()))));
    return {
      groups: grants.map((g) => g.group),
      issued: (jti) =>
        tokens.issued({
          grants,
          jti,
          sid,
          clientId,
          sub: stored.sub,
          username: stored.identity.username,
          ip: ctx.ip,
        }),
    };
  }

  /** A grant of this person ended early this very second: wait for the next (at most 1 s). */
  async #settle(stored: Stored, onToken: boolean): Promise<void> {
    const ms = onToken ? (this.#deps.elevation?.settleMs(stored.elevations) ?? 0) : 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /**
   * When the id_token of this request must expire at the latest: the end of the earliest
   * elevation grant it carries (ttl.IdToken reads it); undefined when it carries none.
   */
  idTokenEnd(ctx: object): Date | undefined {
    return this.#caps.get(ctx);
  }

  /** The session id of the grant this request works on (none outside the token endpoint). */
  #sid(ctx: KoaContextWithOIDC, token: Parameters<FindAccount>[2]): string | undefined {
    const sessionId = this.#deps.sessionId;
    if (sessionId === undefined || ctx.oidc.route !== 'token') return undefined;
    const grantId = grantIdOf(ctx, token);
    return grantId === undefined ? undefined : sessionId(grantId);
  }

  /** Whether a login of `sub` for this client and scope must pass a second factor (storage's groups). */
  async mfaRequiredFor(
    sub: string,
    req: {
      clientId?: string | undefined;
      scope?: string | undefined;
      acrValues?: string | undefined;
    },
  ): Promise<boolean> {
    const mfa = this.#deps.mfa;
    if (mfa === undefined) return false;
    const stored = await storedIdentity(this.#deps.db, sub);
    return mfa.required({ ...req, groups: stored?.identity.groups ?? [] });
  }

  /**
   * At the token endpoint (every grant, every refresh): a person who must pass a second factor
   * gets no token from a login that did not (`acr` is the login's, kept by its refresh-token
   * family: a refresh never upgrades it). invalid_grant, audited.
   */
  async enforceMfa(
    ctx: KoaContextWithOIDC,
    sub: string,
    identity: Identity,
    login: { acr?: string | undefined; scope?: string | undefined },
  ): Promise<void> {
    const mfa = this.#deps.mfa;
    if (mfa === undefined || login.acr === ACR_MFA) return;
    const clientId = ctx.oidc.client?.clientId;
    if (!mfa.required({ clientId, scope: login.scope, groups: identity.groups })) return;
    const audit = this.#deps.audit;
    if (audit !== undefined) {
      audit.markRecorded(ctx);
      await audit.record({
        event: 'token.denied',
        outcome: 'denied',
        reason: 'mfa_required',
        sub,
        username: identity.username,
        clientId,
        ip: ctx.ip,
        details: {
          grant:
            typeof ctx.oidc.params?.['grant_type'] === 'string'
              ? ctx.oidc.params['grant_type']
              : undefined,
        },
      });
    }
    throw new errors.CustomOIDCProviderError('invalid_grant', MFA_REQUIRED_DESCRIPTION);
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date();
  }

  /**
   * The directory confirmed the person. Most refreshes find them unchanged: no write, no dead
   * row for VACUUM; with an outage policy the time of the check is kept (coalesced).
   */
  async #confirmed(stored: Stored, connector: PasswordConnector, next: Identity): Promise<void> {
    const { db, memo } = this.#deps;
    if (!sameIdentity(stored.identity, next)) {
      await saveIdentity(db, connector.id, next, memo);
      return;
    }
    const policy = connector.outage;
    if (policy === undefined) return;
    const age = this.#now().getTime() - stored.checkedAt.getTime();
    if (stored.refused !== undefined || age > checkWriteAfterMs(policy))
      await markIdentityChecked(db, stored.sub, memo);
  }

  /**
   * outagePolicy lastKnown: the directory is unreachable and the person was confirmed recently
   * enough. The tokens carry the identity and groups last confirmed; audited and counted.
   */
  async #degraded(
    ctx: KoaContextWithOIDC,
    sub: string,
    stored: Stored,
    connector: PasswordConnector,
    ageMs: number,
  ): Promise<Account> {
    const clientId = ctx.oidc.client?.clientId;
    const details = {
      connector: connector.id,
      checkedAt: stored.checkedAt.toISOString(),
      ageSec: Math.round(ageMs / 1000),
      lastKnownSec: Math.round((connector.outage?.lastKnownMs ?? 0) / 1000),
      actor: { kind: 'system', id: 'outage-policy' },
    };
    this.#deps.log.warn(
      { event: 'refresh.degraded', sub, ...details },
      'refresh answered from the last-known identity: directory unreachable',
    );
    this.#deps.onDegraded?.(connector.id);
    await this.#deps.audit?.record({
      event: 'refresh.degraded',
      outcome: 'success',
      reason: 'directory_down',
      sub,
      username: stored.identity.username,
      clientId,
      ip: ctx.ip,
      details,
    });
    await this.#enforce(ctx, sub, stored.identity, true);
    return toAccount(sub, stored.identity, this.#deps.access, clientId);
  }

  /**
   * What an id_token of each client would carry for `sub` now, from the identity last seen
   * (the client's access rules, groups filter and prefix applied), or why the client refuses
   * the person. One read of the identity serves every client asked about. Undefined for a
   * `sub` sigil has not seen. For the "who am I on this cluster" view, which must show what the
   * cluster's own login client gets.
   */
  async claimsFor(sub: string): Promise<((clientId: string) => ClientTokenClaims) | undefined> {
    const stored = await storedIdentity(this.#deps.db, sub, this.#deps.memo);
    if (stored === undefined) return undefined;
    const { identity } = stored;
    const access = this.#deps.access;
    return (clientId) => {
      const decision = access?.decide(clientId, identity.groups);
      if (decision !== undefined && !decision.allowed)
        return { ok: false, reason: decision.description };
      return { ok: true, claims: clientClaims(sub, identity, access, clientId) };
    };
  }

  /** Deny entry for an account the directory no longer accepts; never fails the refusal. */
  async #revokeSubject(sub: string, reason: string): Promise<void> {
    const revocations = this.#deps.revocations;
    if (revocations === undefined) return;
    try {
      await revocations.revokeSubject(this.#deps.db, sub, {
        reason: `account_${reason}`,
        actor: { kind: 'system', id: 'refresh' },
      });
    } catch (err) {
      this.#deps.log.error(
        { event: 'revocation.failed', sub, reason, err },
        'could not record the deny entry for a refused account',
      );
    }
  }

  /** Records a refused refresh once (the generic grant.error handler then skips it). */
  async #refused(
    ctx: KoaContextWithOIDC,
    sub: string,
    username: string,
    reason: string,
    outcome: 'denied' | 'failure' = 'denied',
  ): Promise<void> {
    const audit = this.#deps.audit;
    if (audit === undefined) return;
    audit.markRecorded(ctx);
    await audit.record({
      event: 'token.refresh_denied',
      outcome,
      reason,
      sub,
      username,
      clientId: ctx.oidc.client?.clientId,
      ip: ctx.ip,
    });
  }

  /**
   * The client's access policy at the token endpoint (every grant, every refresh): a user who
   * left the allowed groups, or whose groups claim grew past the cap, gets invalid_grant with
   * a description saying why.
   */
  async #enforce(
    ctx: KoaContextWithOIDC,
    sub: string,
    identity: Identity,
    refresh: boolean,
  ): Promise<void> {
    const access = this.#deps.access;
    if (access === undefined) return;
    const decision = access.decide(ctx.oidc.client?.clientId, identity.groups);
    if (decision.allowed) return;
    const audit = this.#deps.audit;
    if (audit !== undefined) {
      audit.markRecorded(ctx);
      await audit.record({
        event: refresh ? 'token.refresh_denied' : 'token.denied',
        outcome: 'denied',
        reason: decision.reason,
        sub,
        username: identity.username,
        clientId: ctx.oidc.client?.clientId,
        ip: ctx.ip,
      });
    }
    throw new errors.CustomOIDCProviderError('invalid_grant', decision.description);
  }
}

/** The `acr` and scope of the login a token comes from (an access token has no acr: undefined). */
function loginOf(token: NonNullable<Parameters<FindAccount>[2]>): {
  acr?: string | undefined;
  scope?: string | undefined;
} {
  const t = token as { acr?: unknown; scope?: unknown };
  return {
    acr: typeof t.acr === 'string' ? t.acr : undefined,
    scope: typeof t.scope === 'string' ? t.scope : undefined,
  };
}

/** What storage keeps of `sub`: the identity its connector last returned (an Identity). */
async function storedIdentity(
  db: Queryable,
  sub: string,
  memo?: RequestMemo,
): Promise<
  | (LastKnown & {
      readonly sub: string;
      readonly connectorId: string;
      readonly identity: Identity;
      readonly elevations: readonly ActiveElevation[];
    })
  | undefined
> {
  const stored = await findIdentity(db, sub, memo);
  return stored === undefined
    ? undefined
    : {
        sub: stored.sub,
        connectorId: stored.connectorId,
        identity: stored.identity as unknown as Identity,
        checkedAt: stored.checkedAt,
        refused: stored.refused,
        elevations: stored.elevations,
      };
}
