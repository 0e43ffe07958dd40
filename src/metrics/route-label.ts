/**
 * Low-cardinality labels for request metrics: a route pattern, never a raw path (paths carry
 * interaction uids, device uids and whatever a scanner sends). Routes of sigil's own routers
 * come from the router's matched pattern; oidc-provider's routes from this table; anything
 * else is `other`.
 */
const EXACT = new Set([
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/favicon.ico',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/jwks',
  '/auth',
  '/token',
  '/token/revocation',
  '/token/introspection',
  '/me',
  '/session/end',
  '/session/end/confirm',
  '/session/end/success',
  '/device',
  '/device/auth',
]);

const PATTERNS: readonly [RegExp, string][] = [
  [/^\/assets\/[^/]+$/, '/assets/:file'],
  [/^\/auth\/[^/]+$/, '/auth/:uid'],
  [/^\/device\/[^/]+$/, '/device/:uid'],
  [/^\/interaction\/[^/]+$/, '/interaction/:uid'],
  [/^\/interaction\/[^/]+\/(login|confirm|abort)$/, '/interaction/:uid/$1'],
];

/** A plain router pattern such as `/interaction/:uid/login` (no regex, bounded length). */
const ROUTER_PATTERN = /^\/[\w\-/:.]{0,99}$/;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** `matched` is the pattern a router matched (koa-router's `_matchedRoute`), when one did. */
export function routeLabel(path: string, matched?: unknown): string {
  if (typeof matched === 'string' && ROUTER_PATTERN.test(matched)) return matched;
  if (EXACT.has(path)) return path;
  for (const [re, label] of PATTERNS) {
    const m = re.exec(path);
    if (m !== null) return label.replace('$1', m[1] ?? '');
  }
  return 'other';
}

export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}
