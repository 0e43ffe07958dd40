import Router, { type RouterMiddleware } from '@koa/router';
import { issuerPath, loginClientOf, type ClusterConfig } from '../../config/index.js';
import {
  clusterUser,
  kubeconfigFileName,
  renderKubeconfig,
  type ClusterUser,
} from '../../kube/index.js';
import {
  paths,
  publicPaths,
  renderErrorPage,
  type PublicPaths,
  type SigilState,
  type Views,
} from '../shared/index.js';
import type { SelfLogin } from './self-login.js';

export interface HomeDeps {
  readonly issuer: string;
  readonly views: Views;
  readonly login: SelfLogin;
  readonly clusters: readonly ClusterConfig[];
  /** PEM of sigil's CA when kubelogin must be told to trust it (a private CA), else undefined. */
  readonly issuerCaPem: () => string | undefined;
  /** views/assets/copy.js: the copy-to-clipboard script of the page. */
  readonly copyScript: string;
  /**
   * For the signed-in person: the claims an id_token of a given client would carry (that
   * client's groups filter, prefix and access rules applied to their directory groups), or why
   * the client refuses them. Without it, the page uses the sign-in's own claims.
   */
  readonly tokenClaims?: (
    claims: Readonly<Record<string, unknown>>,
  ) => Promise<(clientId: string) => TokenClaims>;
  /** Whether the person (`sub`) may ask for a role or decide requests: /home links /home/access. */
  readonly accessLink?: (sub: string) => Promise<boolean>;
}

export type TokenClaims =
  | { readonly ok: true; readonly claims: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly reason: string };

type Claims = Readonly<Record<string, unknown>>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function groupsOf(claims: Claims): string[] {
  const g = claims['groups'];
  if (Array.isArray(g)) return g.filter((x): x is string => typeof x === 'string');
  return typeof g === 'string' ? [g] : [];
}

type Handler = RouterMiddleware<SigilState>;

/** Links and redirects as the browser must use them (under the issuer's path). */
const publicOf = (deps: HomeDeps): PublicPaths => publicPaths(issuerPath(deps.issuer));

function kubeconfigOf(deps: HomeDeps, cluster: ClusterConfig): string {
  return renderKubeconfig({ issuer: deps.issuer, cluster, issuerCaPem: deps.issuerCaPem() });
}

/** Who the person is on each cluster: its login client's token, then its claim mapping. */
async function whoOnClusters(
  deps: HomeDeps,
  claims: Claims,
): Promise<(cluster: ClusterConfig) => ClusterUser> {
  if (deps.tokenClaims === undefined) return (cluster) => clusterUser(claims, cluster);
  const tokenOf = await deps.tokenClaims(claims);
  return (cluster) => {
    const token = tokenOf(loginClientOf(cluster));
    return token.ok ? clusterUser(token.claims, cluster) : { ok: false, reason: token.reason };
  };
}

/** views/assets/copy.js, the page's only script. */
function copyScript(deps: HomeDeps): Handler {
  return (ctx) => {
    ctx.type = 'text/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = deps.copyScript;
  };
}

/** /callback: finishes the sign-in, then back to the page that started it. */
function callback(deps: HomeDeps): Handler {
  return async (ctx) => {
    const result = await deps.login.finish(ctx);
    if (!result.ok) {
      renderErrorPage(
        ctx,
        deps.views,
        result.status,
        'Sign-in not completed',
        result.reason,
        result.code,
      );
      return;
    }
    ctx.status = 303;
    ctx.redirect(publicOf(deps).href(result.returnTo));
  };
}

/** /home: who the person is, and per cluster who they will be and the kubeconfig. */
function homePage(deps: HomeDeps): Handler {
  return async (ctx) => {
    const session = await deps.login.session(ctx);
    if (session === undefined) {
      deps.login.start(ctx, paths.home);
      return;
    }
    const claims = session.claims;
    const whoOn = await whoOnClusters(deps, claims);
    const username =
      str(claims['preferred_username']) ?? str(claims['email']) ?? String(claims['sub']);
    const sub = String(claims['sub']);
    const access = deps.accessLink === undefined ? false : await deps.accessLink(sub);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = deps.views.page('kubeconfig', 'Kubernetes access', {
      issuer: deps.issuer,
      access,
      user: {
        name: str(claims['name']) ?? username,
        username,
        email: str(claims['email']),
        sub,
        groups: groupsOf(claims),
      },
      clusters: deps.clusters.map((c) => ({
        name: c.name,
        server: c.server,
        kubeconfig: kubeconfigOf(deps, c),
        fileName: kubeconfigFileName(c),
        downloadUrl: publicOf(deps).kubeconfig(c.name),
        who: whoOn(c),
      })),
    });
  };
}

/** A cluster's kubeconfig as a file download (signed-in people only). */
function kubeconfigDownload(deps: HomeDeps): Handler {
  const byName = new Map(deps.clusters.map((c) => [c.name, c]));
  return async (ctx) => {
    const cluster = byName.get(ctx.params['cluster'] ?? '');
    if (cluster === undefined) {
      renderErrorPage(
        ctx,
        deps.views,
        404,
        'No such cluster',
        'No cluster has that name.',
        'cluster_not_found',
      );
      return;
    }
    if ((await deps.login.session(ctx)) === undefined) {
      deps.login.start(ctx, ctx.path);
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="${kubeconfigFileName(cluster)}"`);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = 'application/yaml; charset=utf-8';
    ctx.body = kubeconfigOf(deps, cluster);
  };
}

/** Ends the web session, then the provider's session (/session/end), back to the start page. */
function logout(deps: HomeDeps): Handler {
  return async (ctx) => {
    await deps.login.logout(ctx);
    const q = new URLSearchParams({
      client_id: deps.login.clientId,
      post_logout_redirect_uri: `${deps.issuer}${paths.root}`,
    });
    ctx.status = 303;
    ctx.redirect(`${publicOf(deps).sessionEnd}?${q.toString()}`);
  };
}

/**
 * The signed-in pages: /home lists the person's identity and groups and, per cluster, the
 * username and groups the API server will derive and a kubeconfig to copy or download.
 * People sign in through sigil itself (self-login.ts); /callback finishes that sign-in.
 */
export function homeRoutes(deps: HomeDeps): Router<SigilState> {
  const router = new Router<SigilState>();
  router.get(paths.copyScript, copyScript(deps));
  router.get(paths.callback, callback(deps));
  router.get(paths.home, homePage(deps));
  router.get(paths.kubeconfigRoute, kubeconfigDownload(deps));
  router.get(paths.homeLogout, logout(deps));
  return router;
}
