import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Router from '@koa/router';
import type { Adapter } from 'oidc-provider';
import {
  configSchema,
  WEB_CLIENT_ID,
  type Config,
  type StaticClientConfig,
} from '../../config/index.js';
import { resolveIssuerCa } from '../../kube/index.js';
import type { Elevations, SessionService } from '../../security/index.js';
import type { Provider } from '../../oidc/index.js';
import { paths, type SigilState, type Views } from '../shared/index.js';
import { accessRoutes, decidesAny, type AccessDeps } from './access.js';
import { devicesRoutes } from './devices.js';
import { homeRoutes, type HomeDeps } from './home.js';
import { securityRoutes, type SecurityDeps } from './security.js';
import { SelfLogin } from './self-login.js';
import { createWebSessionStore } from './web-session.js';

export interface WebPagesDeps {
  readonly config: Config;
  readonly views: Views;
  readonly viewsDir: string;
  readonly adapter: new (name: string) => Adapter;
  readonly provider: () => Provider;
  /** Secret of the built-in `sigil-web` client (shared by every replica). */
  readonly clientSecret: string;
  /** HMAC key of the sign-in flow cookie (shared by every replica). */
  readonly cookieSecret: string;
  /** What a cluster's login client gets for the person (the who-am-I view); see HomeDeps. */
  readonly tokenClaims?: HomeDeps['tokenClaims'];
  /** Sessions, for "Your devices" (/home/devices); without it the page is not served. */
  readonly sessions?: SessionService;
  /** /home/security: the person's second factors. */
  readonly security?: Pick<SecurityDeps, 'mfa' | 'connectorOf' | 'csrfSecret'>;
  /** /home/access: just-in-time elevation (issue 16; the page is E2's, the service E1's). */
  readonly elevations?: Elevations;
  /**
   * What /home/access needs besides `elevations` and `security.mfa`: the person's groups as
   * sigil last saw them, the page's CSRF key and the audit trail. Served when all three are.
   */
  readonly access?: Pick<AccessDeps, 'personOf' | 'csrfSecret' | 'audit'>;
}

export interface WebPages {
  /** The config to build the provider from: the static clients plus `sigil-web`. */
  readonly providerConfig: Config;
  readonly routes: ReturnType<Router<SigilState>['routes']>;
}

/** The built-in confidential client of sigil's own pages, as a `staticClients` entry. */
export function webClient(config: Config, secret: string): StaticClientConfig {
  return configSchema.shape.staticClients.unwrap().element.parse({
    id: WEB_CLIENT_ID,
    secret,
    name: config.frontend.issuer,
    redirectURIs: [`${config.issuer}${paths.callback}`],
    postLogoutRedirectURIs: [`${config.issuer}${paths.root}`],
    skipApprovalScreen: true,
    refreshTokens: false,
  });
}

/**
 * sigil's signed-in web pages (/home, /callback, kubeconfig downloads) and the client they
 * sign in with. The server builds the provider from `providerConfig` and mounts `routes`.
 */
export function createWebPages(deps: WebPagesDeps): WebPages {
  const { config } = deps;
  const client = webClient(config, deps.clientSecret);
  const access = accessParts(deps);
  const login = new SelfLogin({
    issuer: config.issuer,
    clientId: client.id,
    clientSecret: deps.clientSecret,
    provider: deps.provider,
    sessions: createWebSessionStore(deps.adapter),
    cookieSecret: deps.cookieSecret,
    flowTtlSec: Math.round(config.expiry.authRequests / 1000),
  });
  const routes = homeRoutes({
    issuer: config.issuer,
    views: deps.views,
    login,
    clusters: config.clusters,
    issuerCaPem: () => {
      try {
        const ca = resolveIssuerCa(config.web, (f) => readFileSync(f, 'utf8'));
        return ca?.private === true ? ca.pem : undefined;
      } catch {
        return undefined;
      }
    },
    copyScript: readFileSync(join(deps.viewsDir, 'assets', 'copy.js'), 'utf8'),
    ...(deps.tokenClaims === undefined ? {} : { tokenClaims: deps.tokenClaims }),
    ...(access === undefined ? {} : { accessLink: accessLink(access) }),
  });
  const sessions = deps.sessions;
  if (sessions !== undefined) {
    const names = new Map(
      [...config.staticClients, client].map((c) => [c.id, c.name ?? c.id] as const),
    );
    devicesRoutes(routes, {
      views: deps.views,
      login,
      sessions,
      csrfKey: createHmac('sha256', deps.cookieSecret).update('devices-csrf').digest('base64url'),
      clientName: (id) => names.get(id) ?? id,
      maxBodyBytes: config.web.maxRequestBytes,
    });
  }
  if (deps.security !== undefined) {
    const security = securityRoutes({
      ...deps.security,
      views: deps.views,
      login,
      maxBodyBytes: config.web.maxRequestBytes,
    });
    routes.use(security.routes());
  }
  if (access !== undefined) {
    const page = accessRoutes({
      ...access,
      views: deps.views,
      login,
      maxBodyBytes: config.web.maxRequestBytes,
      // The longest any client's id_tokens live: the page's "or wait" promise holds for all.
      idTokenTtlSec: Math.round(
        Math.max(config.expiry.idTokens, ...config.staticClients.map((c) => c.idTokenTTL ?? 0)) /
          1000,
      ),
    });
    routes.use(page.routes());
  }
  return {
    providerConfig: { ...config, staticClients: [...config.staticClients, client] },
    routes: routes.routes(),
  };
}

type AccessParts = Pick<
  AccessDeps,
  'elevations' | 'roleNames' | 'mfa' | 'personOf' | 'csrfSecret' | 'audit'
>;

/** The parts of /home/access, when the server gave them all (elevations, MFA, access). */
function accessParts(deps: WebPagesDeps): AccessParts | undefined {
  if (deps.elevations === undefined || deps.security === undefined || deps.access === undefined)
    return undefined;
  return {
    ...deps.access,
    elevations: deps.elevations,
    roleNames: deps.config.elevation.roles.map((r) => r.name),
    mfa: deps.security.mfa,
  };
}

/**
 * /home links to /home/access when the person may ask for a role or decide requests (not
 * merely because they are an admin: with no roles configured the feature is off).
 */
function accessLink(access: AccessParts): (sub: string) => Promise<boolean> {
  return async (sub) => {
    const p = await access.personOf(sub);
    if (p === undefined) return false;
    const who = { sub, username: p.username, groups: p.groups };
    return access.elevations.rolesFor(who).length > 0 || decidesAny(access, who);
  };
}
