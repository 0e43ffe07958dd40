import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { authPath, pkce } from './auth-request.js';
import { basicAuth, type Client, hiddenInput, type Res } from './http-client.js';

/** A login at /auth; `clientSecret` matters only for the code exchange (loginTokens). */
export interface AuthorizeOptions extends TokenClient {
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

/**
 * Submits the login form of an interaction page as a person does (the page's csrf token and
 * connector, a username and password); the answer as it came. The page must have the form.
 */
export function submitLogin(
  c: Client,
  page: Res,
  user: { username: string; password: string },
): Promise<Res> {
  const action = /action="((?:\/[\w.~-]+)*\/interaction\/[^"]+\/login)"/.exec(page.text)?.[1];
  expect(action, `a login form on: ${page.text.slice(0, 300)}`).toBeDefined();
  return c.post(action!, {
    csrf: hiddenInput(page.text, 'csrf'),
    connector: hiddenInput(page.text, 'connector'),
    username: user.username,
    password: user.password,
  });
}

/** Drives GET /auth → login form → (consent) → redirect with code, as a browser would. */
export async function authorize(c: Client, o: AuthorizeOptions): Promise<AuthorizeResult> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const auth = authPath({
    clientId: o.clientId,
    redirectUri: o.redirectUri,
    scope: o.scope ?? 'openid email profile groups offline_access',
    challenge,
    state,
    nonce,
    ...(o.extra === undefined ? {} : { extra: o.extra }),
  });
  let r = await follow(c, await c.get(auth));
  expect(r.status, r.text.slice(0, 300)).toBe(200);
  expect(r.text).toContain('name="password"');
  r = await submitLogin(c, r, o);
  expect(r.status, r.text.slice(0, 500)).toBe(303);
  r = await follow(c, r);
  if (o.consent === true) {
    expect(r.status).toBe(200);
    expect(r.text).toContain('Allow access');
    const confirm = /action="((?:\/[\w.~-]+)*\/interaction\/[^"]+\/confirm)"/.exec(r.text)?.[1];
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

/** The token endpoint's answer (authorization code, refresh, device and password grants). */
export interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
}

/**
 * A client at the token endpoint: a public one names itself in the body (`client_id`), a
 * confidential one authenticates with HTTP Basic (`client_secret_basic`).
 */
export interface TokenClient {
  clientId: string;
  clientSecret?: string;
}

/** The kubelogin-style public client of the fixtures, at the token endpoint. */
export const KUBECTL: TokenClient = { clientId: 'kubectl' };

/** POST /token with `form` as `client`; the answer as it came (no assertion). */
export function tokenRequest(
  c: Client,
  form: Record<string, string>,
  client: TokenClient,
): Promise<Res> {
  return client.clientSecret === undefined
    ? c.post('/token', { ...form, client_id: client.clientId })
    : c.post('/token', form, { authorization: basicAuth(client.clientId, client.clientSecret) });
}

/** The authorization code grant for a code (with its PKCE verifier); the answer as it came. */
export function codeGrant(
  c: Client,
  a: Pick<AuthorizeResult, 'code' | 'verifier'>,
  o: TokenClient & Pick<AuthorizeOptions, 'redirectUri'>,
): Promise<Res> {
  const form = {
    grant_type: 'authorization_code',
    code: a.code,
    redirect_uri: o.redirectUri,
    code_verifier: a.verifier,
  };
  return tokenRequest(c, form, o);
}

/** The refresh token grant as `client` (default the public kubectl); the answer as it came. */
export function refreshGrant(c: Client, refreshToken: string, client = KUBECTL): Promise<Res> {
  return tokenRequest(c, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
}

/** The resource owner password grant as `client` (a CI job); the answer as it came. */
export function passwordGrant(
  c: Client,
  client: TokenClient,
  user: { username: string; password: string },
  scope?: string,
): Promise<Res> {
  const form = { grant_type: 'password', username: user.username, password: user.password };
  return tokenRequest(c, scope === undefined ? form : { ...form, scope }, client);
}

/** Exchanges the code `authorize` got (with its PKCE verifier); the answer must be a 200. */
export async function exchangeCode(
  c: Client,
  a: AuthorizeResult,
  o: TokenClient & Pick<AuthorizeOptions, 'redirectUri'>,
): Promise<Tokens> {
  const tok = await codeGrant(c, a, o);
  expect(tok.status, tok.text).toBe(200);
  return tok.json<Tokens>();
}

/** A whole login: authorize, then exchange the code (as a confidential client with a secret). */
export async function loginTokens(c: Client, o: AuthorizeOptions): Promise<Tokens> {
  return exchangeCode(c, await authorize(c, o), o);
}

/** The answer of a grant that issued a refresh token. */
export type RefreshableTokens = Tokens & { refresh_token: string };

/** kubelogin's redirect URI: a loopback listener (any port is allowed for a public client). */
export const LOOPBACK = 'http://127.0.0.1:8000';

/**
 * A kubelogin-style login as `user`: authorization code + PKCE for the public kubectl client
 * (or `clientId`) on the loopback redirect, scope `openid email groups` unless told.
 */
export function kubeloginTokens(
  c: Client,
  user: { username: string; password: string },
  o: { clientId?: string; scope?: string } = {},
): Promise<Tokens> {
  return loginTokens(c, {
    clientId: o.clientId ?? KUBECTL.clientId,
    redirectUri: LOOPBACK,
    scope: o.scope ?? 'openid email groups',
    username: user.username,
    password: user.password,
  });
}

/** The tokens of a login that must have brought a refresh token (the test fails if not). */
export function withRefreshToken(t: Tokens): RefreshableTokens {
  const { refresh_token: rt } = t;
  expect(rt, 'the token answer has a refresh_token').toEqual(expect.any(String));
  return { ...t, refresh_token: rt ?? '' };
}

/**
 * RP-initiated logout as a browser does it: GET /session/end, then its confirmation form with
 * `logout=yes`. Returns the confirmation page and the answer the redirects ended on.
 */
export async function signOut(c: Client): Promise<{ page: Res; done: Res }> {
  const page = await c.get('/session/end');
  const form = /<form[^>]*action="([^"]+)"[^>]*>[\s\S]*?name="xsrf" value="([^"]+)"/.exec(
    page.text,
  );
  expect(form, page.text.slice(0, 300)).not.toBeNull();
  const action = new URL(form![1]!, c.base).pathname;
  const done = await follow(c, await c.post(action, { xsrf: form![2]!, logout: 'yes' }));
  return { page, done };
}
