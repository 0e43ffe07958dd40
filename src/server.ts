import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/schema.js';
import { resolveStorage } from './config/index.js';
import type { PasswordConnector } from './connectors/connector.js';
import { createLdapConnector } from './connectors/ldap/index.js';
import { createStaticConnector } from './connectors/static/index.js';
import {
  createApp,
  createCsrf,
  createWebPages,
  createTelemetryApp,
  jwksCacheControl,
  loadBrand,
  loadViews,
  providerPages,
  type ReadinessCheck,
} from './http/index.js';
import {
  keyPolicyFromConfig,
  prepareKeys,
  sealerFor,
  startKeyWatcher,
  type KeyEventListener,
  type KeySet,
} from './keys/index.js';
import type { Logger } from './log.js';
import {
  instrumentConnector,
  instrumentProvider,
  instrumentThrottle,
  metricsForConfig,
  RequestScopes,
  type Metrics,
} from './metrics/index.js';
import {
  AccountService,
  auditProviderEvents,
  buildProvider,
  createAdapterClass,
  grantAuthenticator,
  type Provider,
} from './oidc/index.js';
import {
  createAccessPolicy,
  createAudit,
  createGuardedAuthenticate,
  createLoginThrottle,
  startRetentionTimer,
  throttleSettings,
} from './security/index.js';
import { packageRoot } from './paths.js';
import {
  migrate,
  openDb,
  sharedSecret,
  findIdentity,
  startGcTimer,
  type Db,
} from './storage/index.js';
import { createReloadingTlsContext, type ReloadingTlsContext } from './tls/index.js';
import { join } from 'node:path';

export interface RunningServer {
  /** Base URLs actually listening (ports resolved), https first. */
  readonly urls: readonly string[];
  /** Base URL of the telemetry listener (`telemetry.http`), when configured. */
  readonly telemetryUrl?: string;
  readonly db: Db;
  readonly provider: () => Provider;
  /** Stops accepting, drains in-flight requests (bounded), closes connectors and the database. */
  close(): Promise<void>;
}

export interface ServerOptions {
  config: Config;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Drain time on close before open connections are cut. */
  drainMs?: number;
  /** Called once every listener is up, before the "listening" log line (the dev banner goes first). */
  onListening?: () => void;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(addr.slice(i + 1)) };
}

function listen(server: http.Server, addr: string): Promise<AddressInfo> {
  const { host, port } = splitHostPort(addr);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

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

/** Wires every part together and starts listening: the composition root of `sigil serve`. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { config, log } = opts;
  const env = opts.env ?? process.env;
  const storage = resolveStorage(config, env);
  const db = await openDb(storage, {
    onIdleError: (err) => {
      log.warn({ err }, 'database connection lost; the pool reconnects on demand');
    },
    onStaleLock: (prev) => {
      log.warn({ previousPid: prev.pid }, 'took over a stale data directory lock');
    },
  });
  const closers: (() => Promise<void> | void)[] = [() => db.close()];
  try {
    const { applied } = await migrate(db);
    if (applied.length > 0) log.info({ applied }, 'database migrated');
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
    closers.push(async () => {
      await Promise.all(
        connectors.map(async (c) => {
          await c.close?.();
        }),
      );
    });
    const access = createAccessPolicy(config);
    const accounts = new AccountService({ db, connectors, log, access, audit });
    // Every password check (login page, device flow, password grant): throttle, policy, audit.
    const login = createGuardedAuthenticate({
      accounts,
      throttle: instrumentThrottle(createLoginThrottle(db, throttleSettings(config)), metrics),
      audit,
      access,
    });
    const brand = loadBrand(config.frontend);
    const views = loadViews(join(packageRoot(), 'views'), brand.brand, brand.css);
    const cookieKeys = [await sharedSecret(db, 'cookie-key-1')];
    const csrf = createCsrf(await sharedSecret(db, 'csrf-key-1'));
    const adapter = createAdapterClass(db, {
      onError: (err, where) => {
        log.warn({ err, ...where }, 'storage operation failed');
      },
      reuseGraceMs: { RefreshToken: config.expiry.refreshTokens.reuseInterval },
    });
    // sigil's own pages sign people in through the built-in `sigil-web` client.
    const web = createWebPages({
      config,
      views,
      viewsDir: join(packageRoot(), 'views'),
      adapter,
      provider: () => provider,
      clientSecret: await sharedSecret(db, 'sigil-web-client-secret'),
      cookieSecret: await sharedSecret(db, 'sigil-web-cookie-key-1'),
      // who-am-I shows what the cluster's own login client gets, not sigil-web's claims.
      tokenClaims: async (claims) => {
        const sub = claims['sub'];
        const of = typeof sub === 'string' ? await accounts.claimsFor(sub) : undefined;
        return of ?? (() => ({ ok: true, claims }));
      },
    });
    // oidc-provider takes its keys at construction: a new key set means a new instance,
    // swapped in between requests (in-flight requests finish on the instance they started on).
    const providerFor = (set: KeySet): Provider => {
      const p = buildProvider({
        config: web.providerConfig,
        adapter,
        accounts,
        keys: set,
        cookieKeys,
        pages: providerPages(views),
        log,
        authenticate: grantAuthenticator(login),
      });
      instrumentProvider(p, metrics, scopes);
      auditProviderEvents(p, audit, {
        usernameOf: async (sub) => (await findIdentity(db, sub))?.identity.username,
      });
      p.maxIpsCount = config.web.proxyHops;
      p.use(jwksCacheControl(keyPolicy.jwksMaxAgeSec));
      return p;
    };
    let provider = providerFor(keys);
    const keyWatcher = startKeyWatcher({
      db,
      sealer,
      policy: keyPolicy,
      version: keys.version,
      log,
      onEvent: onKeyEvent,
      onKeySet: (set) => {
        provider = providerFor(set);
      },
    });
    closers.push(() => keyWatcher.stop());

    const readiness: ReadinessCheck[] = [{ name: 'database', check: (t) => db.ping(t) }];
    for (const c of connectors) {
      const ping = c.ping?.bind(c);
      if (ping !== undefined) readiness.push({ name: `connector:${c.id}`, check: ping });
    }

    const app = createApp({
      issuer: config.issuer,
      log,
      views,
      accounts,
      login,
      csrf,
      provider: () => provider,
      home: web.routes,
      readiness,
      proxy: config.web.proxy,
      proxyHops: config.web.proxyHops,
      hsts: config.web.https !== undefined || config.issuer.startsWith('https://'),
      maxBodyBytes: config.web.maxRequestBytes,
      publicClients: new Set(config.staticClients.filter((c) => c.public).map((c) => c.id)),
      metrics: { metrics, scopes, serve: config.telemetry.http === undefined },
      logo: brand.logo,
    });
    const callback = app.callback();
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      void callback(req, res);
    };

    const servers: http.Server[] = [];
    const urls: string[] = [];
    let tls: ReloadingTlsContext | undefined;
    if (
      config.web.https !== undefined &&
      config.web.tlsCert !== undefined &&
      config.web.tlsKey !== undefined
    ) {
      tls = createReloadingTlsContext(
        { certFile: config.web.tlsCert, keyFile: config.web.tlsKey },
        log,
      );
      const reloading = tls;
      closers.push(() => {
        reloading.stop();
      });
      const server = https.createServer({ ...tls.options }, handler);
      tls.attach(server);
      const addr = await listen(server, config.web.https);
      servers.push(server);
      urls.push(
        `https://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
      );
    }
    if (config.web.http !== undefined) {
      const server = http.createServer(handler);
      const addr = await listen(server, config.web.http);
      servers.push(server);
      urls.push(
        `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
      );
    }
    for (const s of servers) {
      s.headersTimeout = 20_000;
      s.requestTimeout = 30_000;
      s.keepAliveTimeout = 5_000;
    }

    let telemetryUrl: string | undefined;
    if (config.telemetry.http !== undefined) {
      const telemetry = createTelemetryApp({ metrics, readiness, log }).callback();
      const server = http.createServer((req, res) => {
        void telemetry(req, res);
      });
      const addr = await listen(server, config.telemetry.http);
      servers.push(server);
      telemetryUrl = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    }

    const stopGc = startGcTimer(db, 5 * 60_000, log);
    closers.push(() => stopGc());
    const stopRetention = startRetentionTimer(
      db,
      {
        auditRetentionMs: config.audit.retention,
        throttleIdleMs: Math.max(
          config.throttle.username.window,
          config.throttle.username.lockout,
          config.throttle.ip.window,
          config.throttle.ip.lockout,
        ),
        intervalMs: 15 * 60_000,
      },
      log,
    );
    closers.push(() => stopRetention());
    opts.onListening?.();
    log.info(
      {
        urls,
        telemetry: telemetryUrl,
        issuer: config.issuer,
        storage: storage.type,
        kid: keys.active.kid,
      },
      'sigil listening',
    );

    const drainMs = opts.drainMs ?? 10_000;
    let closing: Promise<void> | undefined;
    return {
      urls,
      ...(telemetryUrl === undefined ? {} : { telemetryUrl }),
      db,
      provider: () => provider,
      close() {
        closing ??= (async () => {
          await Promise.all(
            servers.map(
              (s) =>
                new Promise<void>((resolve) => {
                  const cut = setTimeout(() => {
                    s.closeAllConnections();
                  }, drainMs);
                  cut.unref();
                  s.close(() => {
                    clearTimeout(cut);
                    resolve();
                  });
                  s.closeIdleConnections();
                }),
            ),
          );
          for (const c of closers.reverse()) await c();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw err;
  }
}
