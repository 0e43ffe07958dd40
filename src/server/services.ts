import type { Config } from '../config/index.js';
import {
  createLdapConnector,
  createStaticConnector,
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
  createRevocations,
  revocationPolicy,
  throttleSettings,
  type Audit,
  type Revocations,
  type GuardedAuthenticate,
} from '../security/index.js';
import { sharedSecret, type Db } from '../storage/index.js';

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
  /** Deny entries for tokens already issued (the clusters' claimValidationRules). */
  readonly revocations: Revocations;
  /** The session id (`sid` claim) of a grant. */
  readonly sessionId: (grantId: string) => string;
  readonly readiness: readonly ReadinessCheck[];
}

/** Phase 2: audit, signing keys, metrics, connectors (closed before the database), accounts, login. */
export async function buildServices(
  config: Config,
  db: Db,
  log: Logger,
  closers: Closers,
): Promise<Services> {
  const audit = createAudit(db, log);
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
  const metrics = metricsForConfig(config, db);
  const scopes = new RequestScopes();
  const connectors = buildConnectors(config, log, { metrics, scopes });
  closers.add(async () => {
    await Promise.all(connectors.map(async (c) => c.close?.()));
  });
  const access = createAccessPolicy(config);
  const sessionKey = await sharedSecret(db, SESSION_ID_SECRET);
  const sessionId = (grantId: string) => sessionIdFor(sessionKey, grantId);
  const revocations = createRevocations({ policy: revocationPolicy(config), audit, log });
  const accounts = new AccountService({
    db,
    connectors,
    log,
    access,
    audit,
    sessionId,
    revocations,
    adminGroups: config.admin.groups,
  });
  // Every password check (login page, device flow, password grant): throttle, policy, audit.
  const login = createGuardedAuthenticate({
    accounts,
    throttle: instrumentThrottle(createLoginThrottle(db, throttleSettings(config)), metrics),
    audit,
    access,
  });
  return {
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
    revocations,
    sessionId,
    readiness: readinessChecks(db, connectors),
  };
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
          };
    list.push(createLdapConnector(c.id, c.name, c.config, log.child({ connector: c.id }), hooks));
  }
  if (config.enablePasswordDB) list.push(createStaticConnector(config.staticPasswords));
  return metrics === undefined
    ? list
    : list.map((c) => instrumentConnector(c, metrics.metrics, metrics.scopes));
}
