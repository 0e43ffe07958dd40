/**
 * Every absolute path the http layer routes, redirects to or links to, in this one module: the
 * routers, the redirects and the view data (views.ts hands `paths` to every template) read
 * them from here.
 *
 * Under an issuer with a path (https://host/dex), app/mount.ts strips the path before sigil's
 * routes and the provider see a request, so `paths` are what routers match; what leaves sigil
 * (links, form actions, redirects, cookie paths) comes from `publicPaths(base)`, the same list
 * with the issuer's path in front. Health and metrics stay at the root.
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
  /** The second-factor pages' script, and @simplewebauthn/browser's bundle it uses. */
  mfaScript: '/assets/sigil-mfa.js',
  webauthnScript: '/assets/webauthn.js',

  /** The signed-in portal. */
  home: '/home',
  homeLogout: '/home/logout',
  /** "Your devices": the person's sessions; ending one (or all others) is confirmed first. */
  homeDevices: '/home/devices',
  homeDevicesEnd: '/home/devices/end',
  /** The person's second factors (portal/security.ts). */
  homeSecurity: '/home/security',
  /** Just-in-time elevation: ask for a role, see one's requests, decide others' (portal/access.ts). */
  homeAccess: '/home/access',
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
export type InteractionStep = 'login' | 'confirm' | 'abort' | 'mfa' | 'mfa-enroll' | 'mfa-done';

/** An interaction page, or one of its form posts (`interactionPath(':uid', step)` routes it). */
export function interactionPath(uid: string, step?: InteractionStep): string {
  const page = paths.interactionRoute.replace(':uid', () => uid);
  return step === undefined ? page : `${page}/${step}`;
}

/** The kubeconfig download of a cluster. */
export function kubeconfigPath(cluster: string): string {
  return paths.kubeconfigRoute.replace(':cluster', () => encodeURIComponent(cluster));
}

/** Served at the root whatever the issuer's path (probes and scrapers do not follow it). */
const ROOT_ONLY = new Set<string>([paths.healthz, paths.readyz, paths.metrics]);

type PathName = keyof typeof paths;

/** The paths as a browser must use them under the issuer's path `base` ('' or '/dex'). */
export type PublicPaths = { readonly [K in PathName]: string } & {
  /** The issuer's path ('' at the root). */
  readonly base: string;
  /** The Path of sigil's own cookies: the issuer's path, or `/`. */
  readonly cookiePath: string;
  interaction(uid: string, step?: InteractionStep): string;
  kubeconfig(cluster: string): string;
  /** Any path of `paths` (e.g. a stored return-to path) as the browser must ask for it. */
  href(path: string): string;
};

export function publicPaths(base: string): PublicPaths {
  const href = (path: string): string => (ROOT_ONLY.has(path) ? path : `${base}${path}`);
  const out = Object.fromEntries(
    (Object.keys(paths) as PathName[]).map((k) => [k, href(paths[k])]),
  ) as { [K in PathName]: string };
  return {
    ...out,
    base,
    cookiePath: base === '' ? '/' : base,
    interaction: (uid, step) => href(interactionPath(uid, step)),
    kubeconfig: (cluster) => href(kubeconfigPath(cluster)),
    href,
  };
}
