/**
 * Every absolute path the http layer routes, redirects to or links to, in this one module: the
 * routers, the redirects and the view data (views.ts hands `paths` to every template) read
 * them from here. sigil answers at the root of its issuer today; serving it under an issuer
 * path (https://host/dex) means prefixing these, here and nowhere else.
 *
 * oidc-provider's own endpoints are listed where sigil links to them or looks at a request
 * before the provider does; the provider routes them itself (its default `routes`), and
 * oidc/configuration.ts names the interaction URL it sends people to.
 */
export const paths = {
  /** The start page (views/home.eta) and the post-logout landing page. */
  root: '/',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',

  stylesheet: '/assets/sigil.css',
  logo: '/assets/logo',
  copyScript: '/assets/sigil-copy.js',

  /** The signed-in portal. */
  home: '/home',
  homeLogout: '/home/logout',
  /** Where the portal's own sign-in (client `sigil-web`) comes back with its code. */
  callback: '/callback',
  /** Router pattern of a cluster's kubeconfig download; links use `kubeconfigPath`. */
  kubeconfigRoute: '/home/kubeconfig/:cluster',
  /** Router pattern of an interaction page; links use `interactionPath`. */
  interactionRoute: '/interaction/:uid',

  /** The admin HTTP API (http/api): its resources and `/api/v1/openapi.json` are below it. */
  api: '/api/v1',

  /** oidc-provider's endpoints. */
  auth: '/auth',
  token: '/token',
  deviceAuth: '/device/auth',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  sessionEnd: '/session/end',
} as const;

/** The form posts of an interaction page. */
export type InteractionStep = 'login' | 'confirm' | 'abort';

/** An interaction page, or one of its form posts (`interactionPath(':uid', step)` routes it). */
export function interactionPath(uid: string, step?: InteractionStep): string {
  const page = paths.interactionRoute.replace(':uid', () => uid);
  return step === undefined ? page : `${page}/${step}`;
}

/** The kubeconfig download of a cluster. */
export function kubeconfigPath(cluster: string): string {
  return paths.kubeconfigRoute.replace(':cluster', () => encodeURIComponent(cluster));
}
