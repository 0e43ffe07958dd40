/**
 * The seam between sigil and the directories it trusts. Types only: implementations live in
 * ldap/ and static/, and main.ts hands them to the parts that need them (Dex's
 * connector.PasswordConnector / RefreshConnector, in TypeScript).
 */

/** What the client asked for that changes what a connector must fetch. */
export interface Scopes {
  /** `groups` was requested: fetch group memberships. */
  readonly groups: boolean;
  /** `offline_access` or a refresh token will be issued: the connector must be able to refresh. */
  readonly offlineAccess: boolean;
}

/** Everything sigil learns about a person from a connector. */
export interface Identity {
  /** Stable, immutable id (entryUUID, objectGUID, a static userID). Becomes `sub`. Never a DN or a username. */
  readonly userId: string;
  readonly username: string;
  readonly preferredUsername?: string;
  readonly email?: string;
  readonly emailVerified: boolean;
  readonly name?: string;
  readonly groups: readonly string[];
  /**
   * The `sub` to issue when it is not `userId` itself: with `subjectFormat: dex`, the `sub`
   * Dex issued for the same person (lib/dex-codec.ts). Always the same for the same userId.
   */
  readonly subject?: string;
  /** Opaque to everything but the connector that made it (e.g. the user's DN); kept for refresh. */
  readonly connectorData?: Readonly<Record<string, unknown>>;
}

/** Why a login did not succeed. Shown to the person as one generic message; logged and audited precisely. */
export type LoginFailureReason =
  | 'bad_password'
  | 'unknown_user'
  | 'empty_password'
  | 'disabled'
  | 'locked'
  | 'expired'
  | 'password_expired'
  | 'must_change_password'
  | 'ambiguous_user'
  | 'invalid_username';

export type LoginResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: LoginFailureReason };

/** Why a refresh was refused by the directory. */
export type RefreshFailureReason = 'deleted' | 'disabled' | 'locked' | 'moved' | 'expired';

export type RefreshResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly reason: RefreshFailureReason };

/**
 * A connector that checks a username and password. A wrong password is a return value
 * (`{ok:false}`); an outage is a thrown AppError('CONNECTOR_UNAVAILABLE').
 */
export interface PasswordConnector {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  /** The label of the username field on the login page ("Username", "Email address", ...). */
  readonly usernamePrompt: string;
  login(scopes: Scopes, username: string, password: string): Promise<LoginResult>;
  /** Re-reads the user behind an identity this connector issued (refresh re-checks the directory). */
  refresh(scopes: Scopes, identity: Identity): Promise<RefreshResult>;
  /**
   * The connector's outage policy (`outagePolicy: {lastKnown}`): while it is unreachable, a
   * refresh may reuse the identity it last confirmed, for at most `lastKnownMs` after that
   * confirmation. Absent: fail closed.
   */
  readonly outage?: { readonly lastKnownMs: number };
  /** Cheap reachability check for /readyz; throws when the backend is down. */
  ping?(timeoutMs: number): Promise<void>;
  close?(): Promise<void>;
}
