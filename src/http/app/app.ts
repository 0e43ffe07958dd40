import Koa from 'koa';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Metrics, RequestScopes } from '../../metrics/index.js';
import type { AccountService, Provider } from '../../oidc/index.js';
import type { GuardedAuthenticate } from '../../security/index.js';
import { interactionRoutes, type Csrf } from '../interaction/index.js';
import type { WebPages } from '../portal/index.js';
import { paths, type Asset, type SigilState, type Views } from '../shared/index.js';
import { assets } from './assets.js';
import { errorHandler } from './error-handler.js';
import { health, type ReadinessCheck } from './health.js';
import { httpMetrics } from './http-metrics.js';
import { publicClientBasicAuth } from './public-client-basic.js';
import { isReadOf } from './read-of.js';
import { requestLog } from './request-log.js';
import { bodyLimit, securityHeaders } from './security.js';

export interface HttpDeps {
  issuer: string;
  log: Logger;
  views: Views;
  accounts: AccountService;
  /** The guarded password check (throttle, access policy, audit) behind the login form. */
  login: GuardedAuthenticate;
  csrf: Csrf;
  /** The provider currently in service; it may be swapped when keys rotate. */
  provider: () => Provider;
  readiness: readonly ReadinessCheck[];
  proxy: boolean;
  /** With `proxy`: proxies that append to X-Forwarded-For (ctx.ip is that many entries from the right). */
  proxyHops?: number;
  hsts: boolean;
  maxBodyBytes: number;
  /** Public client ids: their `Basic client_id:` (empty secret) header is accepted as client_id. */
  publicClients?: ReadonlySet<string>;
  /** sigil's signed-in pages (/home, /callback, kubeconfig downloads): portal/web-pages.ts. */
  home?: WebPages['routes'];
  /** Request metrics; with `serve`, /metrics answers here too (no telemetry listener). */
  metrics?: { metrics: Metrics; scopes: RequestScopes; serve: boolean };
  /** The configured logo, served at /assets/logo. */
  logo?: Asset | undefined;
  /** The admin API (`/api/v1`, http/api): answers its own errors as problem documents. */
  api?: Koa.Middleware<SigilState>;
}

const CLIENT_FAULT_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_EOF_STATE',
]);

/** Aborted or truncated requests and exposed 4xx errors (Koa emits those on `error` too). */
function isClientFault(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { code?: unknown; status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e.code === 'string' && CLIENT_FAULT_CODES.has(e.code)) return true;
  if (e.expose === true && typeof e.status === 'number' && e.status < 500) return true;
  return e.message === 'request aborted' || e.message === 'aborted';
}

/** Hands a request to the current provider (itself a Koa app) on the same req/res. */
function mountProvider(current: () => Provider): Koa.Middleware {
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  return async (ctx) => {
    const provider = current();
    let cb = callbacks.get(provider);
    if (cb === undefined) {
      cb = provider.callback();
      callbacks.set(provider, cb);
    }
    ctx.respond = false;
    await cb(ctx.req, ctx.res);
  };
}

/** The start page at the root: what this is, and the way to /home. */
function startPage(views: Views, issuer: string): Koa.Middleware {
  return async (ctx, next) => {
    if (!isReadOf(ctx, paths.root)) {
      await next();
      return;
    }
    ctx.type = 'html';
    ctx.body = views.page('home', 'Home', { issuer });
  };
}

/**
 * The Koa application: request ids and logs, security headers, health, static CSS, the
 * interaction pages, then oidc-provider for everything else (discovery, JWKS, /auth,
 * /token, /me, /token/revocation, /token/introspection, /session/end).
 */
export function createApp(deps: HttpDeps): Koa<SigilState> {
  const app = new Koa<SigilState>({ proxy: deps.proxy, maxIpsCount: deps.proxyHops ?? 1 });
  app.silent = true;
  app.on('error', (err: unknown) => {
    // A client that hangs up or sends a truncated request is not a server fault.
    if (isClientFault(err)) {
      deps.log.info({ err: errorMessage(err) }, 'request ended by the client');
      return;
    }
    deps.log.error({ err }, 'unhandled http error');
  });
  const interactions = interactionRoutes({
    provider: deps.provider,
    accounts: deps.accounts,
    login: deps.login,
    views: deps.views,
    csrf: deps.csrf,
    maxBodyBytes: deps.maxBodyBytes,
  });

  if (deps.metrics !== undefined) {
    const m = deps.metrics;
    app.use(httpMetrics(m.metrics, m.scopes, m.serve));
  }
  app.use(requestLog(deps.log));
  app.use(errorHandler(deps.views));
  app.use(securityHeaders({ hsts: deps.hsts }));
  // Before the generic body limit: the API enforces it itself and answers a problem document.
  if (deps.api !== undefined) app.use(deps.api);
  app.use(bodyLimit(deps.maxBodyBytes));
  app.use(health(deps.readiness));
  app.use(assets({ css: deps.views.css, logo: deps.logo }));
  app.use(startPage(deps.views, deps.issuer));
  if (deps.home !== undefined) app.use(deps.home);
  app.use(interactions.routes());
  app.use(interactions.allowedMethods());
  app.use(publicClientBasicAuth(deps.publicClients ?? new Set(), deps.maxBodyBytes));
  app.use(mountProvider(deps.provider));
  return app;
}
