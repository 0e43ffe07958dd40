import type { Account, AccountClaims, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type {
  Identity,
  LoginFailureReason,
  PasswordConnector,
  Scopes,
} from '../connectors/connector.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/db.js';
import { findIdentity, saveIdentity } from '../storage/identities.js';

export type AuthenticateResult =
  { ok: true; sub: string; identity: Identity } | { ok: false; reason: LoginFailureReason };

export interface AccountServiceDeps {
  db: Queryable;
  connectors: readonly PasswordConnector[];
  log: Logger;
}

export function scopesFrom(scope: string | undefined, offlineAccess: boolean): Scopes {
  const set = new Set((scope ?? '').split(' '));
  return { groups: set.has('groups'), offlineAccess: offlineAccess || set.has('offline_access') };
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

function toAccount(sub: string, identity: Identity): Account {
  const claims = identityClaims(sub, identity);
  return { accountId: sub, claims: () => claims };
}

/** A connector outage during a token request: a clear, retryable OAuth answer, not a 500. */
export class DirectoryUnavailable extends errors.CustomOIDCProviderError {
  constructor() {
    super('temporarily_unavailable', 'the identity directory cannot be reached; retry shortly');
    Object.assign(this, { status: 503, statusCode: 503, expose: true });
  }
}

/**
 * Logins and account lookups: the one place that maps connectors to oidc-provider accounts.
 * `sub` is the connector's stable user id; the identities table remembers which connector
 * owns it, so findAccount (which runs on every refresh) can ask that connector again.
 */
export class AccountService {
  readonly #deps: AccountServiceDeps;
  readonly #byId: ReadonlyMap<string, PasswordConnector>;

  constructor(deps: AccountServiceDeps) {
    this.#deps = deps;
    this.#byId = new Map(deps.connectors.map((c) => [c.id, c]));
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
    await saveIdentity(this.#deps.db, connector.id, result.identity);
    return { ok: true, sub: result.identity.userId, identity: result.identity };
  }

  /**
   * oidc-provider's findAccount. On the refresh grant it re-checks the directory: a deleted,
   * disabled or moved user gets no account (→ invalid_grant), changed groups are saved and
   * show in the new id_token; an unreachable directory answers 503 and the grant survives.
   */
  readonly findAccount: FindAccount = async (ctx: KoaContextWithOIDC, sub: string, token) => {
    const stored = await findIdentity(this.#deps.db, sub);
    if (stored === undefined) return undefined;
    const isRefresh = token?.kind === 'RefreshToken' && ctx.oidc.route === 'token';
    if (!isRefresh) return toAccount(sub, stored.identity);

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
      return undefined;
    }
    const scopes = scopesFrom(token.scope, true);
    let result;
    try {
      result = await connector.refresh(scopes, stored.identity);
    } catch (err) {
      if (isAppError(err, 'CONNECTOR_UNAVAILABLE')) {
        this.#deps.log.warn(
          { event: 'refresh.unavailable', sub, connector: connector.id, err },
          'refresh failed: directory unreachable',
        );
        throw new DirectoryUnavailable();
      }
      throw err;
    }
    if (!result.ok) {
      this.#deps.log.info(
        { event: 'refresh.denied', sub, connector: connector.id, reason: result.reason },
        'refresh denied by the directory',
      );
      return undefined;
    }
    await saveIdentity(this.#deps.db, connector.id, result.identity);
    return toAccount(sub, result.identity);
  };
}
