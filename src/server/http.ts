import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { issuerPath, type Config } from '../config/index.js';
import {
  createApi,
  createApp,
  createCsrf,
  createMfaTickets,
  mfaScripts,
  createFastPath,
  createTelemetryApp,
  createWebPages,
  jwksCacheControl,
  loadBrand,
  loadViews,
  providerPages,
  type WebPagesDeps,
  type ClusterApiDeps,
} from '../http/index.js';
import type { KeySet } from '../keys/index.js';
import { resolveIssuerCa } from '../kube/index.js';
import type { Logger } from '../log.js';
import { instrumentProvider } from '../metrics/index.js';
import {
  auditProviderEvents,
  revokeSessionsOnReuse,
  buildProvider,
  createAdapterClass,
  createDexImports,
  type DexImportsDeps,
  grantAuthenticator,
  type BuildProviderDeps,
  type Provider,
} from '../oidc/index.js';
import { packageRoot } from '../paths.js';
import { findIdentity, sharedSecret, type Db } from '../storage/index.js';
import type { Services } from './services.js';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HttpParts {
  /** The Koa app of the web listeners. */
  readonly handler: RequestHandler;
  /** Makes the telemetry listener's app (`telemetry.http`). */
  readonly telemetry: () => RequestHandler;
  /** The provider serving now. */
  readonly provider: () => Provider;
  /** A new key set: a new provider, swapped in between requests. */
  readonly useKeys: (set: KeySet) => void;
}

/** Phase 3: the provider (rebuilt per key set), sigil's pages and the Koa apps around them. */
export async function buildHttp(
  config: Config,
  db: Db,
  s: Services,
  log: Logger,
): Promise<HttpParts> {
  const viewsDir = join(packageRoot(), 'views');
  const brand = loadBrand(config.frontend, issuerPath(config.issuer));
  const views = loadViews(viewsDir, brand.brand, brand.css, issuerPath(config.issuer));
  const cookieKeys = [await sharedSecret(db, 'cookie-key-1')];
  const csrf = createCsrf(await sharedSecret(db, 'csrf-key-1'));
  let signingAlg = s.keys.active.alg;
  const adapter = adapterFor(config, db, s, log, () => signingAlg);
  // sigil's own pages sign people in through the built-in `sigil-web` client.
  const web = createWebPages({
    config,
    views,
    viewsDir,
    adapter,
    provider: () => provider,
    clientSecret: await sharedSecret(db, 'sigil-web-client-secret'),
    cookieSecret: await sharedSecret(db, 'sigil-web-cookie-key-1'),
    ...portalServices(s),
    // who-am-I shows what the cluster's own login client gets, not sigil-web's claims.
    tokenClaims: async (claims) => {
      const sub = claims['sub'];
      const of = typeof sub === 'string' ? await s.accounts.claimsFor(sub) : undefined;
      return of ?? (() => ({ ok: true, claims }));
    },
    ...(await portalDeps(db, s)),
  });
  const providerFor = providerFactory(config, db, s, log, {
    configuration: web.providerConfig,
    adapter,
    cookieKeys,
    pages: providerPages(views),
  });
  let provider = providerFor(s.keys);
  const app = createApp({
    issuer: config.issuer,
    log,
    views,
    accounts: s.accounts,
    login: s.login,
    csrf,
    provider: () => provider,
    home: web.routes,
    readiness: s.readiness,
    proxy: config.web.proxy,
    proxyHops: config.web.proxyHops,
    hsts: config.web.https !== undefined || config.issuer.startsWith('https://'),
    maxBodyBytes: config.web.maxRequestBytes,
    publicClients: new Set(config.staticClients.filter((c) => c.public).map((c) => c.id)),
    metrics: { metrics: s.metrics, scopes: s.scopes, serve: config.telemetry.http === undefined },
    logo: brand.logo,
    api: apiFor(config, db, s, () => provider),
    mfa: { policy: s.mfaPolicy, service: s.mfa, tickets: await mfaTickets(db) },
    scripts: mfaScripts(packageRoot()),
    memo: s.memo,
  }).callback();
  return {
    handler: withFastPath(
      config,
      s,
      log,
      (req, res) => void app(req, res),
      () => provider,
    ),
    telemetry: () => {
      const telemetry = createTelemetryApp({ metrics: s.metrics, readiness: s.readiness, log });
      const callback = telemetry.callback();
      return (req, res) => void callback(req, res);
    },
    provider: () => provider,
    useKeys: (set) => {
      provider = providerFor(set);
      signingAlg = set.active.alg;
    },
  };
}

/** oidc-provider's storage adapter, with what `sigil import dex` brought over. */
function adapterFor(
  config: Config,
  db: Db,
  s: Services,
  log: Logger,
  signingAlg: DexImportsDeps['signingAlg'],
) {
  return createAdapterClass(db, {
    onError: (err, where) => {
      log.warn({ err, ...where }, 'storage operation failed');
    },
    reuseGraceMs: { RefreshToken: config.expiry.refreshTokens.reuseInterval },
    // What `sigil import dex` brought over: Dex API clients, Dex refresh tokens.
    dex: createDexImports({ db, config, sealer: s.sealer, signingAlg }),
    memo: s.memo,
  });
}

/** The signed tickets that carry a login from the password page to the second-factor page. */
async function mfaTickets(db: Db): Promise<ReturnType<typeof createMfaTickets>> {
  return createMfaTickets(await sharedSecret(db, 'mfa-ticket-key-1'));
}

/** The services the /home pages use directly: sessions (/home/devices), elevations (/home/access). */
function portalServices(s: Services): Pick<WebPagesDeps, 'sessions' | 'elevations'> {
  return { sessions: s.sessions, elevations: s.elevations };
}

/** What /home/security needs: the second factors, the owner of a `sub`, its CSRF key. */
async function securityDeps(db: Db, s: Services): Promise<NonNullable<WebPagesDeps['security']>> {
  return {
    mfa: s.mfa,
    connectorOf: async (sub) => (await findIdentity(db, sub))?.connectorId,
    csrfSecret: await sharedSecret(db, 'home-security-csrf-key-1'),
  };
}

/** What the /home pages read through sigil's storage: /home/security's, /home/access's. */
async function portalDeps(db: Db, s: Services): Promise<Pick<WebPagesDeps, 'security' | 'access'>> {
  return { security: await securityDeps(db, s), access: await accessDeps(db, s) };
}

/** What /home/access needs besides the elevations: the person's groups, its CSRF key, the audit. */
async function accessDeps(db: Db, s: Services): Promise<NonNullable<WebPagesDeps['access']>> {
  return {
    personOf: async (sub) => {
      const found = await findIdentity(db, sub);
      if (found === undefined) return undefined;
      const groups = found.identity['groups'];
      return {
        connectorId: found.connectorId,
        username: found.identity.username,
        groups: Array.isArray(groups) ? groups.filter((g) => typeof g === 'string') : [],
      };
    },
    csrfSecret: await sharedSecret(db, 'home-access-csrf-key-1'),
    audit: s.audit,
  };
}

/** Discovery, JWKS and health from prepared buffers, before the pipeline (fast-path.ts). */
function withFastPath(
  config: Config,
  s: Services,
  log: Logger,
  app: RequestHandler,
  provider: () => Provider,
): RequestHandler {
  const fast = createFastPath({
    app,
    current: provider,
    issuer: config.issuer,
    readiness: s.readiness,
    log,
    metrics: s.metrics,
  });
  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
}

/** /api/v1 (http/api) on the provider serving now: the admin API and the clusters' sync endpoint. */
function apiFor(
  config: Config,
  db: Db,
  s: Services,
  provider: () => Provider,
): ReturnType<typeof createApi> {
  return createApi({
    issuer: config.issuer,
    provider,
    db,
    admin: config.admin,
    audit: s.audit,
    maxBodyBytes: config.web.maxRequestBytes,
    sessions: s.sessions,
    mfa: s.mfa,
    elevations: s.elevations,
    keys: { policy: s.keyPolicy, sealer: s.sealer, onEvent: s.onKeyEvent },
    clusterSecret: (name) => config.clusters.find((c) => c.name === name)?.syncSecret,
    clusters: clusterApiDeps(config, db, s),
  });
}

/** What GET /api/v1/clusters/{name}/authentication-config builds from. */
function clusterApiDeps(config: Config, db: Db, s: Services): ClusterApiDeps {
  return {
    issuer: config.issuer,
    clusters: config.clusters,
    // Read at each request: the serving certificate (and its CA) may be reloaded.
    caPem: () => resolveIssuerCa(config.web, (file) => readFileSync(file, 'utf8'))?.pem,
    denyEntries: () => s.revocations.live(db),
    audit: s.audit,
  };
}

/**
 * oidc-provider takes its keys at construction: a new key set means a new instance, swapped
 * in between requests (in-flight requests finish on the instance they started on).
 */
function providerFactory(
  config: Config,
  db: Db,
  s: Services,
  log: Logger,
  fixed: Pick<BuildProviderDeps, 'adapter' | 'cookieKeys' | 'pages'> & {
    configuration: BuildProviderDeps['config'];
  },
): (set: KeySet) => Provider {
  return (set) => {
    const p = buildProvider({
      config: fixed.configuration,
      adapter: fixed.adapter,
      accounts: s.accounts,
      keys: set,
      cookieKeys: fixed.cookieKeys,
      pages: fixed.pages,
      log,
      authenticate: grantAuthenticator(s.login),
      sessions: { recorder: s.sessions, sessionId: s.sessionId },
      writeBehind: { db, memo: s.memo },
    });
    instrumentProvider(p, s.metrics, s.scopes);
    auditProviderEvents(p, s.audit, {
      usernameOf: async (sub) => (await findIdentity(db, sub, s.memo))?.identity.username,
    });
    revokeSessionsOnReuse(p, {
      db,
      revocations: s.revocations,
      sessionId: s.sessionId,
      log,
    });
    p.maxIpsCount = config.web.proxyHops;
    p.use(jwksCacheControl(s.keyPolicy.jwksMaxAgeSec, set.verifyOnly));
    return p;
  };
}
