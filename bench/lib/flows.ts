import { randomBytes, randomInt } from 'node:crypto';
import { authQuery, pkce } from '../../test/support/auth-request.js';
import { FlowError, forms, formInputs, type Browser, type Res } from './http.js';

/**
 * The client side of the flows the bench drives, kubelogin-style: authorization code with
 * PKCE S256, state and nonce, a loopback redirect on a random port, then the token exchange;
 * refresh grants; and the device authorization grant. Pages are handled the way a person
 * would: the login form gets the username and password, a consent or confirm page gets its
 * approving button, so the same driver serves sigil and the bare oidc-provider.
 */

export interface Endpoints {
  authorization: string;
  token: string;
  device?: string | undefined;
}

export interface FlowClient {
  clientId: string;
  scope: string;
  endpoints: Endpoints;
  /** Send login_hint=username (the bare provider's auto-login uses it as the account id). */
  loginHint: boolean;
}

export interface User {
  username: string;
  password: string;
}

export interface Tokens {
  idToken: string;
  refreshToken: string | undefined;
}

const REFUSE = /abort|deny|cancel|reject/i;

/** Fills and submits the page's form the way the person would; returns the answer. */
async function submitPage(b: Browser, page: Res, user: User, userCode?: string): Promise<Res> {
  // Judged by the action's last path segment: the interaction uid before it is random and
  // now and then spells "deny" or "abort".
  const lastSegment = (action: string) => action.split('?')[0]?.split('/').pop() ?? '';
  const posts = forms(page.text).filter(
    (f) => f.method === 'post' && !REFUSE.test(lastSegment(f.action)),
  );
  const form =
    posts.find((f) => /type="password"/.test(f.html)) ??
    posts.find((f) => /name="user_code"/.test(f.html)) ??
    posts[0];
  if (form === undefined) {
    // A connector chooser: links, not a form.
    const link = /href="(\/interaction\/[^"]+)"/.exec(page.text)?.[1];
    if (link !== undefined) return b.get(link.replace(/&amp;/g, '&'));
    throw new FlowError('page without a form', page);
  }
  const fields = formInputs(page.text, form.html);
  for (const name of Object.keys(fields)) {
    if (/pass/i.test(name)) fields[name] = user.password;
    else if (/^(username|login|email|user)$/i.test(name)) fields[name] = user.username;
    else if (name === 'user_code' && userCode !== undefined && fields[name] === '')
      fields[name] = userCode;
  }
  for (const m of form.html.matchAll(/<button\b([^>]*)>/g)) {
    const attrs = m[1] ?? '';
    const name = /\bname="([^"]*)"/.exec(attrs)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(attrs)?.[1] ?? '';
    if (name !== undefined && !REFUSE.test(`${name} ${value}`)) {
      fields[name] = value;
      break;
    }
  }
  const action = form.action === '' ? page.url : form.action;
  return b.post(action, fields);
}

/** The browser part of a login: /auth, pages, until the redirect to the loopback client. */
export async function authorize(b: Browser, c: FlowClient, user: User): Promise<URL> {
  const { verifier, challenge } = pkce();
  const redirectUri = `http://127.0.0.1:${String(randomInt(20_000, 60_000))}`;
  const state = randomBytes(8).toString('base64url');
  const query = authQuery({
    clientId: c.clientId,
    redirectUri,
    scope: c.scope,
    challenge,
    state,
    nonce: randomBytes(8).toString('base64url'),
    ...(c.loginHint ? { extra: { login_hint: user.username } } : {}),
  });
  let r = await b.follow(await b.get(`${c.endpoints.authorization}?${query.toString()}`));
  for (let step = 0; step < 5 && r.status === 200; step++)
    r = await b.follow(await submitPage(b, r, user));
  const location = r.location;
  if (r.status < 300 || r.status >= 400 || location?.startsWith(redirectUri) !== true)
    throw new FlowError('no redirect to the client', r);
  const back = new URL(location);
  if (back.searchParams.get('state') !== state) throw new FlowError('state mismatch');
  const error = back.searchParams.get('error');
  if (error !== null) throw new FlowError(`authorization error ${error}`);
  back.searchParams.set('code_verifier', verifier);
  back.searchParams.set('redirect_uri', redirectUri);
  return back;
}

function tokensFrom(r: Res, what: string): Tokens {
  if (r.status !== 200) throw new FlowError(`${what} failed`, r);
  const body = JSON.parse(r.text) as { id_token?: string; refresh_token?: string };
  if (typeof body.id_token !== 'string') throw new FlowError(`${what}: no id_token`, r);
  return { idToken: body.id_token, refreshToken: body.refresh_token };
}

/** A whole login: authorize, then exchange the code. */
export async function login(b: Browser, c: FlowClient, user: User): Promise<Tokens> {
  const back = await authorize(b, c, user);
  const r = await b.post(c.endpoints.token, {
    grant_type: 'authorization_code',
    code: back.searchParams.get('code') ?? '',
    redirect_uri: back.searchParams.get('redirect_uri') ?? '',
    client_id: c.clientId,
    code_verifier: back.searchParams.get('code_verifier') ?? '',
  });
  return tokensFrom(r, 'code exchange');
}

/** One refresh grant; the rotated refresh token replaces the old one in `chain`. */
export async function refresh(
  b: Browser,
  c: FlowClient,
  chain: { refreshToken: string },
): Promise<void> {
  const r = await b.post(c.endpoints.token, {
    grant_type: 'refresh_token',
    refresh_token: chain.refreshToken,
    client_id: c.clientId,
  });
  const t = tokensFrom(r, 'refresh');
  if (t.refreshToken !== undefined) chain.refreshToken = t.refreshToken;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * A device-flow login as `kubectl oidc-login --grant-type=device-code` and its user do it:
 * device authorization, the verification page with the typed code, login, confirmation, then
 * the token poll (honouring authorization_pending / slow_down with the given interval).
 */
export async function deviceLogin(
  b: Browser,
  c: FlowClient,
  user: User,
  deadline: number,
): Promise<Tokens> {
  const endpoint = c.endpoints.device;
  if (endpoint === undefined) throw new FlowError('no device endpoint');
  const start = await b.post(endpoint, { client_id: c.clientId, scope: c.scope });
  if (start.status !== 200) throw new FlowError('device authorization failed', start);
  const d = JSON.parse(start.text) as {
    device_code: string;
    user_code: string;
    verification_uri: string;
    interval?: number;
  };
  let r = await b.follow(await b.get(new URL(d.verification_uri, b.base).pathname));
  for (let step = 0; step < 6 && r.status === 200 && forms(r.text).length > 0; step++)
    r = await b.follow(await submitPage(b, r, user, d.user_code));
  if (r.status !== 200) throw new FlowError('device verification did not finish', r);
  let interval = (d.interval ?? 5) * 1000;
  for (;;) {
    const t = await b.post(c.endpoints.token, {
      grant_type: DEVICE_GRANT,
      device_code: d.device_code,
      client_id: c.clientId,
    });
    if (t.status === 200) return tokensFrom(t, 'device token');
    const error = /"error":"([a-z_]+)"/.exec(t.text)?.[1];
    if (error === 'slow_down') interval += 5000;
    else if (error !== 'authorization_pending') throw new FlowError('device token failed', t);
    if (Date.now() + interval > deadline) throw new FlowError(`device poll: ${error} at deadline`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
