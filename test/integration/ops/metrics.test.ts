import http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authorize, loginTokens, withRefreshToken } from '../../support/oidc-flow.js';
import { closedPort } from '../ldap/support.js';
import { freePort } from '../../support/net.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { createTestOu, type TestOu } from '../../support/ldap-test-ou.js';
import { parseSamples, sampleValue } from './prometheus.js';

const REDIRECT = 'http://127.0.0.1:18000';

function get(url: string): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text, type: res.headers['content-type'] ?? '' });
        });
      })
      .on('error', reject);
  });
}

describe('Prometheus metrics and health on the telemetry listener', () => {
  let s: TestSigil;
  let ou: TestOu;
  let telemetry: string;

  beforeAll(async () => {
    ou = await createTestOu('TestMetrics', [
      { uid: 'm-alice', name: 'Metrics Alice', groups: ['m-devs'] },
      { uid: 'm-bob', name: 'Metrics Bob' },
      { uid: 'm-carol', name: 'Metrics Carol' },
    ]);
    const port = await freePort();
    const failover = ou.connector('fo', 'Failover directory');
    s = await startTestSigil('postgres', {
      connectors: [
        ou.connector(),
        // The first host refuses connections: every operation fails over to the second.
        {
          ...failover,
          config: {
            ...failover.config,
            host: `127.0.0.1:${String(await closedPort())},127.0.0.1:${new URL(inject('ldapsUrl')).port}`,
          },
        },
      ],
      telemetry: { http: `127.0.0.1:${port}` },
      // Back-off after two failures, long enough that the third attempt is surely refused.
      throttle: { backoff: { after: 2, initial: '1m', max: '1m' } },
    });
    telemetry = s.server.telemetryUrl ?? '';
  });
  afterAll(async () => {
    await s.close();
    await ou.cleanup();
  });

  const scrape = async () => {
    const r = await get(`${telemetry}/metrics`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    return parseSamples(r.text);
  };

  async function codeFlow(username: string, password: string, connector: string) {
    return withRefreshToken(
      await loginTokens(s.client(), {
        clientId: 'kubectl',
        redirectUri: REDIRECT,
        scope: 'openid groups',
        username,
        password,
        extra: { connector_id: connector },
      }),
    );
  }

  it('listens on telemetry.http and starts the always-present series at zero', async () => {
    expect(telemetry).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const m = await scrape();
    for (const connector of ['corp', 'local'])
      for (const outcome of ['success', 'failure', 'unavailable', 'error'])
        expect(sampleValue(m, 'sigil_logins_total', { connector, outcome })).toBe(0);
    expect(
      sampleValue(m, 'sigil_tokens_issued_total', { grant: 'authorization_code', client: 'web' }),
    ).toBe(0);
    expect(sampleValue(m, 'sigil_refresh_total', { outcome: 'success', reason: 'ok' })).toBe(0);
    expect(sampleValue(m, 'sigil_ldap_failovers_total', { connector: 'corp' })).toBe(0);
    expect(sampleValue(m, 'sigil_throttled_total', { scope: 'username' })).toBe(0);
    expect(sampleValue(m, 'sigil_signing_key_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(m, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts logins by connector and outcome, tokens by grant and client, refreshes and LDAP latency per host', async () => {
    const local = await codeFlow(ALICE.username, ALICE.password, 'local');
    await codeFlow('m-alice', 'm-alice-pw', 'corp');
    // A wrong LDAP password: one failure, no token.
    const c = s.client();
    await expect(
      authorize(c, {
        clientId: 'kubectl',
        redirectUri: REDIRECT,
        username: 'm-alice',
        password: 'wrong',
        extra: { connector_id: 'corp' },
      }),
    ).rejects.toThrow();
    const r = await s.client().post('/token', {
      grant_type: 'refresh_token',
      refresh_token: local.refresh_token,
      client_id: 'kubectl',
    });
    expect(r.status, r.text).toBe(200);
    const bad = await s
      .client()
      .post('/token', { grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'kubectl' });
    expect(bad.status).toBe(400);

    const m = await scrape();
    expect(sampleValue(m, 'sigil_logins_total', { connector: 'local', outcome: 'success' })).toBe(
      1,
    );
    expect(sampleValue(m, 'sigil_logins_total', { connector: 'corp', outcome: 'success' })).toBe(1);
    expect(sampleValue(m, 'sigil_logins_total', { connector: 'corp', outcome: 'failure' })).toBe(1);
    expect(
      sampleValue(m, 'sigil_tokens_issued_total', {
        grant: 'authorization_code',
        client: 'kubectl',
      }),
    ).toBe(2);
    expect(
      sampleValue(m, 'sigil_tokens_issued_total', { grant: 'refresh_token', client: 'kubectl' }),
    ).toBe(1);
    expect(sampleValue(m, 'sigil_refresh_total', { outcome: 'success', reason: 'ok' })).toBe(1);
    expect(
      sampleValue(m, 'sigil_refresh_total', { outcome: 'denied', reason: 'invalid_grant' }),
    ).toBe(1);

    const host = `127.0.0.1:${new URL(inject('ldapsUrl')).port}`;
    for (const op of ['bind', 'search']) {
      const count = sampleValue(m, 'sigil_ldap_operation_duration_seconds_count', { op, host });
      expect(count, `${op} on ${host}`).toBeGreaterThan(0);
      expect(
        sampleValue(m, 'sigil_ldap_operation_duration_seconds_sum', { op, host }),
      ).toBeGreaterThan(0);
    }

    // Request latency by route pattern: never a raw interaction uid.
    const routes = new Set(
      m
        .filter((x) => x.name === 'sigil_http_request_duration_seconds_count')
        .map((x) => x.labels['route']),
    );
    for (const r of [
      '/auth',
      '/token',
      '/interaction/:uid',
      '/interaction/:uid/login',
      '/auth/:uid',
    ])
      expect(routes, r).toContain(r);
    for (const r of routes) expect(r).toMatch(/^(\/[\w.:/-]*|other)$/);
    // No uid-like segment (the discovery route's own name is long, and fixed).
    const uidLike = (r: string) =>
      r.split('/').some((seg) => /^(?=.*[A-Z0-9_])[A-Za-z0-9_-]{20,}$/.test(seg));
    expect([...routes].some((r) => r !== undefined && uidLike(r))).toBe(false);
    expect(
      sampleValue(m, 'sigil_http_request_duration_seconds_count', {
        route: '/interaction/:uid/login',
        method: 'POST',
        status: '401',
      }),
    ).toBe(1);
  });

  it('counts LDAP host failovers per connector', async () => {
    expect(sampleValue(await scrape(), 'sigil_ldap_failovers_total', { connector: 'fo' })).toBe(0);
    // Another person: the same directory behind two connectors gives the same ids.
    await codeFlow('m-bob', 'm-bob-pw', 'fo');
    const m = await scrape();
    expect(sampleValue(m, 'sigil_ldap_failovers_total', { connector: 'fo' })).toBeGreaterThan(0);
    expect(sampleValue(m, 'sigil_ldap_failovers_total', { connector: 'corp' })).toBe(0);
    expect(sampleValue(m, 'sigil_logins_total', { connector: 'fo', outcome: 'success' })).toBe(1);
  });

  it('counts attempts the throttle refuses, which never reach the directory', async () => {
    const failures = async () =>
      sampleValue(await scrape(), 'sigil_logins_total', { connector: 'corp', outcome: 'failure' });
    const before = await failures();
    for (let i = 0; i < 3; i++) {
      await expect(
        authorize(s.client(), {
          clientId: 'kubectl',
          redirectUri: REDIRECT,
          username: 'm-carol',
          password: `wrong-${String(i)}`,
          extra: { connector_id: 'corp' },
        }),
      ).rejects.toThrow();
    }
    const m = await scrape();
    expect(sampleValue(m, 'sigil_throttled_total', { scope: 'username' })).toBe(1);
    expect(sampleValue(m, 'sigil_throttled_total', { scope: 'ip' })).toBe(0);
    expect(await failures()).toBe((before ?? 0) + 2);
  });

  it('serves /metrics only on the telemetry listener when one is configured', async () => {
    const r = await s.client().get('/metrics');
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('sigil_logins_total');
  });

  it('answers /healthz and /readyz on both listeners, readyz checking the database and LDAP', async () => {
    for (const base of [telemetry]) {
      expect((await get(`${base}/healthz`)).status).toBe(200);
      const ready = await get(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toEqual({
        status: 'ready',
        checks: { database: 'ok', 'connector:corp': 'ok', 'connector:fo': 'ok' },
      });
    }
    expect((await s.client().get('/healthz')).status).toBe(200);
    expect((await s.client().get('/readyz')).status).toBe(200);
    expect((await get(`${telemetry}/auth`)).status).toBe(404);
  });
});
