/**
 * The cookie jar of a test browser: cookies by name, each with its path; a request sends the
 * ones whose path prefixes its own. Enough for the OAuth flows (oidc-provider scopes its
 * interaction cookies by path). Shared by the tests' Client and the bench's Browser.
 */
export class CookieJar {
  readonly cookies = new Map<string, { value: string; path: string }>();

  /** The Cookie header for a request to `path` ('' when none applies). */
  header(path: string): string {
    const out: string[] = [];
    for (const [name, c] of this.cookies)
      if (path.startsWith(c.path)) out.push(`${name}=${c.value}`);
    return out.join('; ');
  }

  /** Keeps what an answer's Set-Cookie headers set, and drops what they expire. */
  store(setCookie: readonly string[] | undefined): void {
    for (const sc of setCookie ?? []) {
      const [pair = '', ...attrs] = sc.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const path = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const expired =
        value === '' || attrs.some((a) => /^expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: path?.slice(5) ?? '/' });
    }
  }
}
