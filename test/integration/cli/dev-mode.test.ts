import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSigil, type Spawned } from '../../support/cli.js';
import { Client } from '../../support/http-client.js';
import { authPath } from '../../support/auth-request.js';
import { follow, loginTokens, withRefreshToken } from '../../support/oidc-flow.js';

const ISSUER = 'https://localhost:5556';

/**
 * The README's first command, as a process: zero-config start on PGlite with a generated CA,
 * a demo login, a restart that keeps keys, sessions and refresh tokens, and a second process
 * on the same data directory that refuses to start.
 */
describe('zero-config dev mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-dev-'));
  const env = { SIGIL_DATA_DIR: join(dir, 'data'), SIGIL_CONFIG: '' };
  let running: Spawned | undefined;
  afterAll(async () => {
    await running?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  let ca = '';
  let banner = '';
  let password = '';
  let kids: string[] = [];
  let refreshToken = '';
  const browser = () => new Client(ISSUER, { ca });

  it('starts with a banner whose first file path is the CA, then serves discovery over https', async () => {
    running = spawnSigil(['serve'], { env, cwd: dir });
    await running.waitFor(/password: (\S+)/);
    await running.waitFor(/Production:/);
    banner = running.output();
    const firstPath = /(\/[\w.\-/]+)/.exec(banner)?.[1];
    expect(firstPath).toBe(join(dir, 'data', 'tls', 'ca.crt'));
    expect(banner).toMatch(/DEVELOPMENT SETUP/);
    expect(banner).toContain(`issuer:         ${ISSUER}`);
    expect(banner).toMatch(/username: demo/);
    password = /password: (\S+)/.exec(banner)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(12);
    ca = readFileSync(firstPath!, 'utf8');
    const d = await browser().get('/.well-known/openid-configuration');
    expect(d.status).toBe(200);
    expect(d.json()['issuer']).toBe(ISSUER);
    kids = (await browser().get('/jwks')).json<JSONWebKeySet>().keys.map((k) => k.kid!);
  });

  const c = () => cookieJar;
  let cookieJar: Client;

  it('lets the demo user log in with kubectl (kubelogin-style) and get tokens', async () => {
    cookieJar = browser();
    const t = withRefreshToken(
      await loginTokens(c(), {
        clientId: 'kubectl',
        redirectUri: 'http://localhost:8000',
        scope: 'openid email groups',
        username: 'demo',
        password,
      }),
    );
    const jwks = createLocalJWKSet((await browser().get('/jwks')).json<JSONWebKeySet>());
    const { payload } = await jwtVerify(t.id_token, jwks, { issuer: ISSUER, audience: 'kubectl' });
    expect(payload['email']).toBe('demo@example.com');
    expect(payload['groups']).toEqual(['demo-developers', 'demo-viewers']);
    refreshToken = t.refresh_token;
  });

  it('refuses a second process on the same data directory', async () => {
    const second = spawnSigil(['serve'], { env, cwd: dir });
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toMatch(/another sigil process \(pid \d+\)/);
    expect(
      second
        .output()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('sigil:')),
    ).toHaveLength(1);
  });

  it('stops on SIGTERM and keeps keys, sessions and refresh tokens across a restart', async () => {
    const code = await running!.stop('SIGTERM');
    expect(code).toBe(0);
    running = spawnSigil(['serve'], { env, cwd: dir });
    await running.waitFor(/Production:/);
    expect(/password: (\S+)/.exec(running.output())![1]).toBe(password);
    const kidsAfter = (await browser().get('/jwks')).json<JSONWebKeySet>().keys.map((k) => k.kid!);
    expect(kidsAfter).toEqual(kids);
    // The refresh token issued before the restart still works.
    const ref = await browser().post('/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'kubectl',
    });
    expect(ref.status, ref.text).toBe(200);
    // The browser session survived: a new authorization goes straight back with a code.
    const auth = authPath({ clientId: 'kubectl', redirectUri: 'http://localhost:8000' });
    const r = await follow(c(), await c().get(auth));
    expect(r.status).toBe(303);
    expect(new URL(r.location!).searchParams.get('code')).toBeTruthy();
  });
});
