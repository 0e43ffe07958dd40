import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackHole } from '../ldap/support.js';
import { startTestSigil, type TestSigil } from '../../support/sigil.js';
import { createTestOu, type TestOu } from '../../support/ldap-test-ou.js';
import { parseSamples, sampleValue } from './prometheus.js';

describe('/readyz with an unreachable directory, /metrics on the main listener', () => {
  let s: TestSigil;
  let ou: TestOu;
  let hole: Awaited<ReturnType<typeof blackHole>>;

  beforeAll(async () => {
    ou = await createTestOu('TestHealth', []);
    hole = await blackHole();
    const reachable = ou.connector('corp', 'Corporate directory');
    const hung = ou.connector('hung', 'Hung directory');
    s = await startTestSigil('postgres', {
      connectors: [
        reachable,
        // Accepts connections and never answers: readyz must not wait for it.
        {
          ...hung,
          config: {
            ...hung.config,
            host: `127.0.0.1:${hole.port}`,
            connectTimeout: '30s',
            timeout: '30s',
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await s.close();
    await hole.close();
    await ou.cleanup();
  });

  it('reports not ready, naming the unreachable connector, within the short timeout', async () => {
    const started = Date.now();
    const r = await s.client().get('/readyz');
    const took = Date.now() - started;
    expect(r.status).toBe(503);
    expect(r.headers['cache-control']).toBe('no-store');
    const body = r.json<{ status: string; checks: Record<string, string> }>();
    expect(body.status).toBe('not ready');
    expect(body.checks['database']).toBe('ok');
    expect(body.checks['connector:corp']).toBe('ok');
    expect(body.checks['connector:hung']).not.toBe('ok');
    expect(took).toBeLessThan(3500);
    // Liveness does not depend on peers.
    expect((await s.client().get('/healthz')).status).toBe(200);
  });

  it('serves /metrics on the main listener when telemetry.http is not set', async () => {
    const r = await s.client().get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseSamples(r.text);
    expect(sampleValue(m, 'sigil_logins_total', { connector: 'hung', outcome: 'success' })).toBe(0);
    expect(
      sampleValue(m, 'sigil_http_request_duration_seconds_count', {
        route: '/readyz',
        method: 'GET',
        status: '503',
      }),
    ).toBe(1);
  });
});
