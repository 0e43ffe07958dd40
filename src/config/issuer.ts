/**
 * The issuer URL's path: sigil serves everything but health and metrics under it (Dex's usual
 * `https://host/dex`). Checked once by the config schema; http/ and oidc/ read it from here.
 */

/** What may appear in one segment of the issuer's path (unreserved characters, RFC 3986). */
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** Why the issuer's path cannot be served (a config error), or undefined when it can. */
export function issuerPathProblem(issuer: string): string | undefined {
  const raw = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(issuer)?.[1];
  if (raw === undefined) return undefined; // not a URL: the schema says so already
  if (raw.includes('?'))
    return 'must not have a query (?…): kube-apiserver compares the issuer exactly';
  if (raw.includes('#')) return 'must not have a fragment (#…)';
  if (raw === '' || raw === '/')
    return raw === '/'
      ? 'must not end with a slash (write https://host, not https://host/)'
      : undefined;
  if (raw.endsWith('/'))
    return 'must not end with a slash (write https://host/dex, not https://host/dex/): kube-apiserver compares the issuer string exactly';
  if (raw.includes('//')) return 'the path must not contain an empty segment (//)';
  const segments = raw.slice(1).split('/');
  if (segments.some((s) => s === '.' || s === '..'))
    return 'the path must not contain . or .. segments';
  if (!segments.every((s) => SEGMENT.test(s)))
    return 'the path may use only letters, digits and - . _ ~ (e.g. https://auth.example.com/dex)';
  return undefined;
}

/** The path sigil serves under: '' for an issuer at the root, '/dex' for https://host/dex. */
export function issuerPath(issuer: string): string {
  const path = new URL(issuer).pathname;
  return path === '/' ? '' : path.replace(/\/+$/, '');
}
