import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { type Client, hiddenInput, type Res } from './http-client.js';

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri: string;
  scope?: string;
  username: string;
  password: string;
  extra?: Record<string, string>;
  /** Expect and accept a consent page. */
  consent?: boolean;
}

export interface AuthorizeResult {
  code: string;
  state: string;
  nonce: string;
  verifier: string;
  redirect: URL;
}

function path(loc: string | undefined, issuer: string): string {
  if (loc === undefined) throw new Error('expected a redirect');
  const u = new URL(loc, issuer);
  return u.pathname + u.search;
}

/** Follows redirects on the issuer's origin until one leaves it (or a page answers). */
export async function follow(c: Client, res: Res): Promise<Res> {
  let r = res;
  for (let i = 0; i < 10 && r.status >= 300 && r.status < 400; i++) {
    const loc = new URL(r.location!, c.base);
    if (loc.origin !== new URL(c.base).origin) return r;
    r = await c.get(loc.pathname + loc.search);
  }
  return r;
}

/** Drives GET /auth → login form → (consent) → redirect with code, as a browser would. */
export async function authorize(c: Client, o: AuthorizeOptions): Promise<AuthorizeResult> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const q = new URLSearchParams({
    client_id: o.clientId,
    response_type: 'code',
    scope: o.scope ?? 'openid email profile groups offline_access',
    redirect_uri: o.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    ...o.extra,
  });
  let r = await follow(c, await c.get(`/auth?${q.toString()}`));
  expect(r.status, r.text.slice(0, 300)).toBe(200);
  expect(r.text).toContain('name="password"');
  const loginPath = /action="(\/interaction\/[^"]+\/login)"/.exec(r.text)?.[1];
  expect(loginPath).toBeDefined();
  r = await c.post(loginPath!, {
    csrf: hiddenInput(r.text, 'csrf'),
    connector: hiddenInput(r.text, 'connector'),
    username: o.username,
    password: o.password,
  });
  expect(r.status, r.text.slice(0, 500)).toBe(303);
  r = await follow(c, r);
  if (o.consent === true) {
    expect(r.status).toBe(200);
    expect(r.text).toContain('Allow access');
    const confirm = /action="(\/interaction\/[^"]+\/confirm)"/.exec(r.text)?.[1];
    r = await follow(c, await c.post(confirm!, { csrf: hiddenInput(r.text, 'csrf') }));
  }
  expect(
    r.status,
    `expected a redirect to the client, got ${r.status}: ${r.text.slice(0, 300)}`,
  ).toBe(303);
  const redirect = new URL(r.location!);
  const code = redirect.searchParams.get('code');
  if (code === null) throw new Error(`no code in redirect: ${redirect.toString()}`);
  expect(redirect.searchParams.get('state')).toBe(state);
  return { code, state, nonce, verifier, redirect };
}

export { path };

/** The token endpoint's answer to an authorization code grant. */
export interface CodeTokens {
  id_token: string;
  access_token: string;
  refresh_token?: string;
}

/**
 * Exchanges the code `authorize` got, as a public client does (client_id in the body, the PKCE
 * verifier); the answer must be a 200.
 */
export async function exchangeCode(
  c: Client,
  a: AuthorizeResult,
  o: Pick<AuthorizeOptions, 'clientId' | 'redirectUri'>,
): Promise<CodeTokens> {
  const tok = await c.post('/token', {
    grant_type: 'authorization_code',
    code: a.code,
    redirect_uri: o.redirectUri,
    code_verifier: a.verifier,
    client_id: o.clientId,
  });
  expect(tok.status, tok.text).toBe(200);
  return tok.json<CodeTokens>();
}

/** A whole login of a public client: authorize, then exchange the code. */
export async function loginTokens(c: Client, o: AuthorizeOptions): Promise<CodeTokens> {
  return exchangeCode(c, await authorize(c, o), o);
}

/** The tokens of a login that must have brought a refresh token (the test fails if not). */
export function withRefreshToken(t: CodeTokens): CodeTokens & { refresh_token: string } {
  const { refresh_token: rt } = t;
  expect(rt, 'the token answer has a refresh_token').toEqual(expect.any(String));
  return { ...t, refresh_token: rt ?? '' };
}
