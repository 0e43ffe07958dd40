import type { Config } from '../config/index.js';
import {
  createLdapConnector,
  createStaticConnector,
  type ImportedPasswordUser,
  type ImportedPasswordUsers,
  type PasswordConnector,
} from '../connectors/index.js';
import type { ReadinessCheck } from '../http/index.js';
import {
  keyPolicyFromConfig,
  prepareKeys,
  sealerFor,
  type KeyEventListener,
  type KeyPolicy,
  type KeySealer,
  type KeySet,
} from '../keys/index.js';
import type { Closers } from '../lib/index.js';
import type { Logger } from '../log.js';
import {
  instrumentConnector,
  instrumentThrottle,
  metricsForConfig,
  RequestScopes,
  type Metrics,
} from '../metrics/index.js';
import { AccountService, SESSION_ID_SECRET, sessionIdFor } from '../oidc/index.js';
import {
  createAccessPolicy,
  createAudit,
  createGuardedAuthenticate,
  createLoginThrottle,
  SessionService,
  createRevocations,
  denyEndedSessions,
  revocationPolicy,
  throttleSettings,
  createMfaPolicy,
  createElevations,
  createElevatedTokens,
  resolveRoles,
  REVOCATION_CLOCK_SKEW_MS,
  MfaService,
  relyingPartyOf,
  type Audit,
  type Elevations,
  type ElevatedTokens,
  type Revocations,
  type GuardedAuthenticate,
  type MfaPolicy,
} from '../security/index.js';
import {
  findDexPasswordByLogin,
  findDexPasswordByUserId,
  RequestMemo,
  sharedSecret,
  type Db,
  type DexPasswordRow,
} from '../storage/index.js';

/** Everything the pages and the provider use, built once per process. */
export interface Services {
  readonly audit: Audit;
  readonly keys: KeySet;
  readonly keyPolicy: KeyPolicy;
  readonly sealer: KeySealer;
  readonly onKeyEvent: KeyEventListener;
  readonly metrics: Metrics;
  readonly scopes: RequestScopes;
  readonly connectors: readonly PasswordConnector[];
  readonly accounts: AccountService;
  readonly login: GuardedAuthenticate;
  readonly mfa: MfaService;
  readonly mfaPolicy: MfaPolicy;
  /** Deny entries for tokens already issued (the clusters' claimValidationRules). */
  readonly revocations: Revocations;
  /** The session id (`sid` claim) of a grant. */
  readonly sessionId: (grantId: string) => string;
  readonly readiness: readonly ReadinessCheck[];
  /** What the current request already read from the database (one per process). */
  readonly memo: RequestMemo;
  /** Sessions: recorded at login, listed, ended through one function. */
  readonly sessions: SessionService;
  /** Just-in-time elevation (issue 16): requests, approvals, grants. */
  readonly elevations: Elevations;
}

/** Phase 2: audit, signing keys, metrics, connectors (closed before the database), accounts, login. */
export async function buildServices(
  config: Config,
  db: Db,
  log: Logger,
  closers: Closers,
): Promise<Services> {
  const { audit, keyPolicy, sealer, onKeyEvent, keys } = await auditAndKeys(
    config,
    db,
    log,
    closers,
  );
  const metrics = metricsForConfig(config, db);
  const scopes = new RequestScopes();
  const connectors = buildConnectors(config, log, { metrics, scopes }, importedPasswordUsers(db));
  closers.add(async () => {
    await Promise.all(connectors.map(async (c) => c.close?.()));
  });
  const access = createAccessPolicy(config);
  const mfaPolicy = createMfaPolicy(config);
  const memo = new RequestMemo();
  const { sessionId, revocations, sessions } = await sessionServices(config, db, log, closers, {
    audit,
    metrics,
  });
  const accounts = new AccountService({
    db,
    connectors,
    log,
    memo,
    access,
    audit,
    sessionId,
    revocations,
    adminGroups: config.admin.groups,
    mfa: mfaPolicy,
    elevation: elevatedTokens(config, db, audit),
    onDegraded: (id) => {
      metrics.refreshDegraded(id);
    },
  });
  const throttle = instrumentThrottle(createLoginThrottle(db, throttleSettings(config)), metrics);
  // Every password check (login page, device flow, password grant): throttle, policy, audit.
  const alwaysGroups = mfaPolicy.needsGroups;
  const login = createGuardedAuthenticate({ accounts, throttle, audit, access, alwaysGroups });
  // Second factors: TOTP secrets sealed like the signing keys, guesses throttled like passwords.
  const mfa = new MfaService({
    db,
    sealer,
    audit,
    throttle,
    rp: relyingPartyOf(config.issuer, config.frontend.issuer),
    appName: config.frontend.issuer,
    count: (factor, outcome) => {
      metrics.mfa(factor, outcome);
    },
    memo,
  });
  return {
    elevations: elevationService(config, db, log, { audit, revocations }),
    audit,
    keys,
    keyPolicy,
    sealer,
    onKeyEvent,
    metrics,
    scopes,
    connectors,
    accounts,
    login,
    mfa,
    mfaPolicy,
    revocations,
    sessionId,
    readiness: readinessChecks(db, connectors),
    memo,
    sessions,
  };
}

/** The token path of elevation: which grants an id_token carries (accounts.ts). */
function elevatedTokens(config: Config, db: Db, audit: Audit): ElevatedTokens {
  const roles = resolveRoles(config.elevation);
  return createElevatedTokens({ db, roles, clusters: config.clusters, audit });
}

/** Just-in-time elevation: the config's roles, its deny entries through the revocations. */
export function elevationService(
  config: Config,
  db: Db,
  log: Logger,
  s: { audit: Audit; revocations: Revocations },
): Elevations {
  return createElevations({
    db,
    roles: resolveRoles(config.elevation),
    pendingTimeoutMs: config.elevation.pendingTimeout,
    freshFactorMs: config.elevation.freshFactor,
    adminGroups: config.admin.groups,
    audit: s.audit,
    deny: s.revocations,
    clockSkewMs: REVOCATION_CLOCK_SKEW_MS,
    log,
  });
}

/** The audit trail (closed after the listeners and before the database) and the signing keys. */
async function auditAndKeys(config: Config, db: Db, log: Logger, closers: Closers) {
  const audit = createAudit(db, log);
  // Closed after the listeners (closers run in reverse) and before the database: every queued
  // row of the requests that were drained is written.
  closers.add(() => audit.close());
  const keyPolicy = keyPolicyFromConfig(config);
  const sealer = sealerFor(config.keys.encryptionSecret);
  // Key lifecycle events (rotation, revocation): the call point for the audit trail.
  const onKeyEvent: KeyEventListener = (e) => {
    log.info({ keyEvent: e }, `signing key event: ${e.type}`);
    void audit.record({ event: e.type, outcome: 'success', reason: e.reason, details: { ...e } });
  };
  const keys = await prepareKeys({
    db,
    sealer,
    policy: keyPolicy,
    warnPlaintext: !config.dev,
    log,
    onEvent: onKeyEvent,
  });
  return { audit, keyPolicy, sealer, onKeyEvent, keys };
}

/** Sessions (sid, recorded, ended through one function) and the deny entries they produce. */
async function sessionServices(
  config: Config,
  db: Db,
  log: Logger,
  closers: Closers,
  s: { audit: Audit; metrics: Metrics },
) {
  const { audit, metrics } = s;
  const sessionKey = await sharedSecret(db, SESSION_ID_SECRET);
  const sessionId = (grantId: string): string => sessionIdFor(sessionKey, grantId);
  const revocations = createRevocations({ policy: revocationPolicy(config), audit, log });
  const sessions = new SessionService({
    db,
    audit,
    // Every ending of sessions also refuses their id_tokens on the clusters (deny entries).
    afterEnd: denyEndedSessions(revocations, db),
    onRevoked: (by, n) => {
      metrics.sessionsRevoked(by, n);
    },
  });
  // Runs after the listeners have drained (closers run in reverse): the last uses are kept.
  closers.add(async () => {
    await sessions.tracker.flush().catch((err: unknown) => {
      log.warn({ err }, 'last use of sessions not written at shutdown');
    });
  });
  return { sessionId, revocations, sessions };
}

function readinessChecks(db: Db, connectors: readonly PasswordConnector[]): ReadinessCheck[] {
  const readiness: ReadinessCheck[] = [{ name: 'database', check: (t) => db.ping(t) }];
  for (const c of connectors) {
    const ping = c.ping?.bind(c);
    if (ping !== undefined) readiness.push({ name: `connector:${c.id}`, check: ping });
  }
  return readiness;
}

/** The configured connectors (LDAP, then the password DB), reporting to `metrics` when given. */
export function buildConnectors(
  config: Config,
  log: Logger,
  metrics?: { metrics: Metrics; scopes: RequestScopes },
  imported?: ImportedPasswordUsers,
): PasswordConnector[] {
  const list: PasswordConnector[] = [];
  for (const c of config.connectors) {
    const m = metrics?.metrics;
    const hooks =
      m === undefined
        ? {}
        : {
            observe: (op: 'bind' | 'search', host: string, seconds: number) => {
              m.ldapOperation(op, host, seconds);
            },
            onFailover: () => {
              m.ldapFailover(c.id);
            },
            onGroupCache: (result: 'hit' | 'miss', size: number) => {
              m.ldapGroupCache(c.id, result, size);
            },
          };
    list.push(createLdapConnector(c.id, c.name, c.config, log.child({ connector: c.id }), hooks));
  }
  if (config.enablePasswordDB)
    list.push(
      createStaticConnector(config.staticPasswords, imported === undefined ? {} : { imported }),
    );
  return metrics === undefined
    ? list
    : list.map((c) => instrumentConnector(c, metrics.metrics, metrics.scopes));
}

/** The password users `sigil import dex` brought over (dex_passwords), for the password DB. */
function importedPasswordUsers(db: Db): ImportedPasswordUsers {
  const toUser = (p: DexPasswordRow | undefined): ImportedPasswordUser | undefined =>
    p === undefined
      ? undefined
      : {
          email: p.email,
          hash: p.hash,
          username: p.username,
          preferredUsername: p.preferredUsername,
          userId: p.userId,
          name: p.name,
          emailVerified: p.emailVerified,
          groups: p.groups,
        };
  return {
    byLogin: async (login) => toUser(await findDexPasswordByLogin(db, login)),
    byUserId: async (id) => toUser(await findDexPasswordByUserId(db, id)),
  };
}
