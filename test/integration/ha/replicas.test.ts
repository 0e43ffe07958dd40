import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sigil } from '../../support/cli.js';
import { approveDeviceCode, pollDeviceToken, startDeviceFlow } from '../../support/device-page.js';
import { refreshGrant, type Tokens } from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { createTestDatabase } from '../../support/postgres.js';
import { ALICE } from '../../support/sigil.js';
import { login, startCluster, type Cluster } from './cluster.js';

/**
 * Two sigil processes on one PostgreSQL database behind a round-robin proxy act as one
 * service: logins, refresh chains and device flows hop between them, and key operations made
 * with the CLI reach both replicas without a restart. Needs `npm run build`.
 */
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid!;

describe('two replicas on one database', () => {
  let c: Cluster;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createTestDatabase(inject('pgUrl'), 'sigil_ha');
    drop = db.drop;
    c = await startCluster({ dbUrl: db.url });
  }, 120_000);
  afterAll(async () => {
    await c.close();
    await drop();
  });

  const jwksOf = async (i: number) => {
    const r = await c.direct(i).get('/jwks');
    expect(r.status).toBe(200);
    return r.json<JSONWebKeySet>();
  };
  const backendsSince = (mark: number) => new Set(c.proxy.log.slice(mark).map((e) => e.backend));

  it('started together, they share one key set', async () => {
    const [a, b] = await Promise.all([jwksOf(0), jwksOf(1)]);
    expect(a.keys.map((k) => k.kid)).toEqual(b.keys.map((k) => k.kid));
    expect(a.keys).toHaveLength(2); // active + next
  });

  it('a login started on one replica completes on the other; the tokens verify', async () => {
    const mark = c.proxy.log.length;
    const t = await login(c);
    expect(backendsSince(mark)).toEqual(new Set([0, 1]));
    const entries = c.proxy.log.slice(mark);
    const loginPost = entries.find((e) => e.method === 'POST' && e.path.endsWith('/login'))!;
    const formGet = entries.findLast(
      (e) => e.method === 'GET' && e.path.startsWith('/interaction/') && e.at <= loginPost.at,
    )!;
    expect(formGet.backend).not.toBe(loginPost.backend); // the form came from one, the post went to the other
    const jwks = createLocalJWKSet(await jwksOf(0));
    const { payload } = await jwtVerify(t.id_token, jwks, {
      issuer: c.issuer,
      audience: 'kubectl',
    });
    expect(payload['sub']).toBe(ALICE.userID);
  });

  it('a refresh chain alternates replicas: each refresh token issued by one works on the other', async () => {
    let t: Tokens = await login(c);
    const client = c.client();
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await refreshGrant(client, t.refresh_token!);
      expect(r.status, r.text).toBe(200);
      served.push(String(r.headers['x-sigil-backend']));
      t = r.json<Tokens>();
    }
    expect(new Set(served)).toEqual(new Set(['0', '1']));
    for (let i = 1; i < served.length; i++) expect(served[i]).not.toBe(served[i - 1]);
  });

  it('a device flow hops too, and its polling rules are shared (slow_down across replicas)', async () => {
    const device = c.client();
    const d = await startDeviceFlow(device, 'openid groups');
    const poll = () => pollDeviceToken(device, d.device_code);
    const p1 = await poll();
    const p2 = await poll();
    expect(p1.json()['error']).toBe('authorization_pending');
    expect(p2.json()['error']).toBe('slow_down');
    expect(p1.headers['x-sigil-backend']).not.toBe(p2.headers['x-sigil-backend']);

    const mark = c.proxy.log.length;
    const done = await approveDeviceCode(c.client(), d.user_code, ALICE);
    expect(done.text).toContain('Device signed in');
    expect(backendsSince(mark)).toEqual(new Set([0, 1]));
    // The code is approved: the next poll gets the tokens (slow_down only ever replaces
    // authorization_pending, so it need not wait the interval).
    const tok = await poll();
    expect(tok.status, tok.text).toBe(200);
    expect(tok.json<Tokens>().refresh_token).toBeTruthy();
  });

  it('sigil keys rotate --now and revoke reach both replicas without a restart, within 10 s', async () => {
    const list = sigil(['keys', 'list', '--config', c.configFile(0)]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/KID\s+ALG\s+STATE/);
    const activeBefore = /^(\S+)\s+RS256\s+active/m.exec(list.stdout)![1]!;
    const nextBefore = /^(\S+)\s+RS256\s+next/m.exec(list.stdout)![1]!;

    const notDue = sigil(['keys', 'rotate', '--config', c.configFile(1)]);
    expect(notDue.status, notDue.stderr).toBe(0);
    expect(notDue.stdout).toContain('nothing due');

    const rotated = sigil(['keys', 'rotate', '--now', '--config', c.configFile(1)]);
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(`rotated: ${nextBefore} signs now`);
    // Refresh through the proxy until both replicas have signed with the promoted key.
    const since = performance.now();
    let t: Tokens = await login(c);
    const signedNew = new Set<string>();
    const refreshOnce = async () => {
      const r = await refreshGrant(c.client(), t.refresh_token!);
      expect(r.status, r.text).toBe(200);
      t = r.json<Tokens>();
      const kid = kidOf(t.id_token);
      expect([activeBefore, nextBefore]).toContain(kid);
      if (kid === nextBefore) signedNew.add(String(r.headers['x-sigil-backend']));
      return signedNew.size;
    };
    await pollUntil(refreshOnce, (replicas) => replicas === 2, {
      what: 'both replicas sign with the new key within 10 s',
      timeoutMs: 10_000 - (performance.now() - since),
      intervalMs: 100,
    });
    // The retired key is still published by both (tokens it signed are still valid).
    for (const i of [0, 1])
      expect((await jwksOf(i)).keys.map((k) => k.kid)).toContain(activeBefore);

    const revoked = sigil(['keys', 'revoke', nextBefore, '--no-wait', '--config', c.configFile(0)]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${nextBefore} (it was active)`);
    expect(revoked.stdout).toMatch(/ended [1-9]\d* refresh-token grant/);
    const published = async () => {
      const [a, b] = await Promise.all([jwksOf(0), jwksOf(1)]);
      return [...a.keys, ...b.keys].map((k) => k.kid);
    };
    await pollUntil(published, (kids) => !kids.includes(nextBefore), {
      what: 'both replicas drop the revoked key within 10 s',
      intervalMs: 200,
    });
    const gone = await refreshGrant(c.client(), t.refresh_token!);
    expect(gone.status).toBe(400);
    expect(gone.json()['error']).toBe('invalid_grant');
    const fresh = await login(c);
    expect(kidOf(fresh.id_token)).not.toBe(nextBefore);
    const after = sigil(['keys', 'list', '--config', c.configFile(0)]);
    expect(after.stdout).toMatch(
      new RegExp(`^${nextBefore}\\s+RS256\\s+revoked\\s+no\\s+wiped`, 'm'),
    );
  }, 60_000);
});
