import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderKubeconfig, type Kubeconfig } from '../../../src/kube/index.js';
import { type Client, type Res } from '../../support/http-client.js';
import { follow, submitLogin } from '../../support/oidc-flow.js';
import { aliceEntry, ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

const CLUSTERS = [
  { name: 'prod', server: 'https://api.prod.example.com:6443', clientID: 'kubectl' },
  {
    name: 'lab',
    server: 'https://api.lab.example.com:6443',
    clientID: 'kubectl',
    usernameClaim: 'preferred_username',
    usernamePrefix: '',
    groupsPrefix: 'lab:',
  },
  { name: 'odd', server: 'https://api.odd.example.com', clientID: 'kubectl', usernameClaim: 'upn' },
  // Clusters whose login clients shape or refuse the token: who-am-I must follow them.
  { name: 'filtered', server: 'https://api.filtered.example.com', clientID: 'k8s-filtered' },
  { name: 'ops-only', server: 'https://api.ops.example.com', clientID: 'k8s-ops' },
];

const CLIENTS = [
  { id: 'kubectl', public: true, name: 'kubectl' },
  { id: 'k8s-filtered', public: true, groupFilter: { include: ['dev*'], prefix: 'corp:' } },
  { id: 'k8s-ops', public: true, name: 'ops cluster', allowedGroups: ['ops'] },
];

/** GET /home in a fresh browser → sigil's login form → signed in → back on /home. */
async function signIn(c: Client, path = '/home'): Promise<Res> {
  let r = await c.get(path);
  expect(r.status).toBe(303);
  const auth = new URL(r.location!, c.base);
  expect(auth.pathname).toBe('/auth');
  expect(auth.searchParams.get('client_id')).toBe('sigil-web');
  expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
  expect(auth.searchParams.get('redirect_uri')).toBe(`${c.base}/callback`);
  r = await follow(c, r);
  expect(r.status).toBe(200);
  r = await submitLogin(c, r, ALICE);
  expect(r.status).toBe(303);
  return follow(c, r);
}

describe('/home: sign in through sigil-web, identity, who-am-I and kubeconfigs', () => {
  let s: TestSigil;

  beforeAll(async () => {
    s = await startTestSigil('pglite', { clusters: CLUSTERS, staticClients: CLIENTS });
  });
  afterAll(async () => {
    await s.close();
  });

  it('the landing page links to /home', async () => {
    const r = await s.client().get('/');
    expect(r.status).toBe(200);
    expect(r.text).toContain('href="/home"');
  });

  it('signs in with code + PKCE, exchanges the code in process and shows the page', async () => {
    const c = s.client();
    const r = await signIn(c);
    expect(r.status, r.text.slice(0, 400)).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.text).toContain('Alice Liddell');
    expect(r.text).toContain(ALICE.email);
    expect(r.text).toContain(ALICE.userID);
    for (const g of ['developers', 'viewers']) expect(r.text).toContain(`<li>${g}</li>`);
    // who am I, per cluster
    expect(r.text).toContain('<code>oidc:alice@example.com</code>');
    expect(r.text).toContain('<li>oidc:developers</li>');
    expect(r.text).toContain('<code>alice</code>');
    expect(r.text).toContain('<li>lab:viewers</li>');
    expect(r.text).toContain('This cluster will refuse your sign-in: the token has no upn claim.');
    // ...with the cluster's own login client: its groupFilter and prefix, its allowedGroups.
    expect(r.text).toContain('<li>oidc:corp:developers</li>');
    expect(r.text).not.toContain('corp:viewers');
    expect(r.text).toContain(
      'This cluster will refuse your sign-in: you are not a member of a group allowed to use ops cluster.',
    );
    // the kubeconfig, escaped, with a download link and a copy button for the script
    expect(r.text).toContain('href="/home/kubeconfig/prod"');
    expect(r.text).toContain(`--oidc-issuer-url=${s.issuer}`);
    expect(r.text).toContain('data-copy="kubeconfig-prod"');
    expect(r.text).toContain('<script src="/assets/sigil-copy.js" defer></script>');
    expect(r.text).not.toMatch(/<script>|<script [^s]/);
    expect(String(r.headers['content-security-policy'])).toContain("script-src 'self'");
  });

  it('keeps the web session in an HttpOnly, SameSite=Lax, Secure cookie that ends with the id_token', async () => {
    const c = s.client();
    let cookies: string[] = [];
    let r = await c.get('/home');
    cookies = cookies.concat(r.headers['set-cookie'] ?? []);
    r = await submitLogin(c, await follow(c, r), ALICE);
    // follow by hand to see /callback's Set-Cookie
    for (let i = 0; i < 10 && r.status >= 300 && r.status < 400; i++) {
      r = await c.get(new URL(r.location!, c.base).pathname + new URL(r.location!, c.base).search);
      cookies = cookies.concat(r.headers['set-cookie'] ?? []);
    }
    const session = cookies.find((x) => x.startsWith('sigil.web=') && !x.startsWith('sigil.web=;'));
    expect(session).toBeDefined();
    expect(session).toMatch(/; httponly/i);
    expect(session).toMatch(/; samesite=lax/i);
    expect(session).toMatch(/; secure/i);
    const maxAge = /max-age=(\d+)/i.exec(session!)?.[1] ?? /expires=([^;]+)/i.exec(session!)?.[1];
    expect(maxAge).toBeDefined();
    const expires = new Date(/expires=([^;]+)/i.exec(session!)![1]!).getTime();
    expect(expires - Date.now()).toBeLessThanOrEqual(10 * 60_000 + 5_000);
    const flow = cookies.find(
      (x) => x.startsWith('sigil.web.flow=') && !/sigil\.web\.flow=;/.test(x),
    );
    expect(flow).toMatch(/; httponly/i);
  });

  it('downloads the same kubeconfig `sigil kube kubeconfig` renders, as an attachment', async () => {
    const c = s.client();
    await signIn(c);
    const r = await c.get('/home/kubeconfig/prod');
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="kubeconfig-prod.yaml"');
    expect(r.headers['content-type']).toMatch(/^application\/yaml/);
    expect(r.headers['cache-control']).toBe('no-store');
    const cluster = s.config.clusters.find((x) => x.name === 'prod')!;
    expect(r.text).toBe(renderKubeconfig({ issuer: s.issuer, cluster, issuerCaPem: s.ca }));
    const kc = parse(r.text) as Kubeconfig;
    expect(kc['current-context']).toBe('prod');
    expect(kc.users[0]!.user.exec.apiVersion).toBe('client.authentication.k8s.io/v1');
    expect((await c.get('/home/kubeconfig/nope')).status).toBe(404);
  });

  it('a download without a session starts the sign-in and comes back to the download', async () => {
    const c = s.client();
    const r = await signIn(c, '/home/kubeconfig/lab');
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="kubeconfig-lab.yaml"');
  });

  it('serves the copy script as JavaScript from its own origin', async () => {
    const r = await s.client().get('/assets/sigil-copy.js');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/javascript/);
    expect(r.text).toContain('navigator.clipboard');
  });

  it('refuses a callback without the flow cookie, with a forged state, or with a replayed code', async () => {
    const c = s.client();
    let r = await c.get('/callback?code=abc&state=xyz', { accept: 'text/html' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('state_mismatch');

    // A real sign-in, stopping at the redirect to /callback.
    r = await submitLogin(c, await follow(c, await c.get('/home')), ALICE);
    while (r.status === 303 && !new URL(r.location!, c.base).pathname.startsWith('/callback')) {
      const u = new URL(r.location!, c.base);
      r = await c.get(u.pathname + u.search);
    }
    const cb = new URL(r.location!, c.base);
    expect(cb.pathname).toBe('/callback');
    const forged = new URL(cb);
    forged.searchParams.set('state', 'forged');
    const saved = new Map(c.cookies);
    r = await c.get(forged.pathname + forged.search, { accept: 'text/html' });
    expect(r.status).toBe(400);
    // The genuine answer works once (flow cookie restored), and a replay of it fails.
    for (const [k, v] of saved) c.cookies.set(k, v);
    r = await c.get(cb.pathname + cb.search);
    expect(r.status).toBe(303);
    expect(r.location).toBe('/home');
    for (const [k, v] of saved) if (k === 'sigil.web.flow') c.cookies.set(k, v);
    r = await c.get(cb.pathname + cb.search, { accept: 'text/html' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('invalid_grant');
  });

  it('an access_denied answer shows an error page, not a session', async () => {
    const c = s.client();
    let r = await c.get('/home');
    const state = new URL(r.location!, c.base).searchParams.get('state')!;
    r = await c.get(`/callback?error=access_denied&error_description=denied&state=${state}`, {
      accept: 'text/html',
    });
    expect(r.status).toBe(403);
    expect(c.cookies.has('sigil.web')).toBe(false);
  });

  it('sign out ends the web session and hands over to the provider’s logout', async () => {
    const c = s.client();
    await signIn(c);
    const r = await c.get('/home/logout');
    expect(r.status).toBe(303);
    const end = new URL(r.location!, c.base);
    expect(end.pathname).toBe('/session/end');
    expect(end.searchParams.get('client_id')).toBe('sigil-web');
    expect(c.cookies.has('sigil.web')).toBe(false);
    const again = await c.get('/home');
    expect(again.status).toBe(303);
    expect(new URL(again.location!, c.base).pathname).toBe('/auth');
  });

  it('refuses a well-formed session cookie that names no stored session', async () => {
    const c = s.client();
    c.cookies.set('sigil.web', { value: 'A'.repeat(43), path: '/' });
    const r = await c.get('/home');
    expect(r.status).toBe(303);
  });
});

describe('/home escapes what it shows', () => {
  let s: TestSigil;
  beforeAll(async () => {
    const alice = await aliceEntry({
      name: '<img src=x onerror=alert(1)>',
      groups: ['<b>admins</b>'],
    });
    s = await startTestSigil('pglite', { clusters: [CLUSTERS[0]!], staticPasswords: [alice] });
  });
  afterAll(async () => {
    await s.close();
  });

  it('renders the name and groups as text', async () => {
    const r = await signIn(s.client());
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('<img src=x');
    expect(r.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(r.text).toContain('&lt;b&gt;admins&lt;/b&gt;');
  });
});
