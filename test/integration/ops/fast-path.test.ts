import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../support/poll.js';
import { startTestSigil, type TestSigil } from '../../support/sigil.js';

// Discovery, JWKS and health answered before the pipeline, from prepared buffers with an ETag.
const DISCOVERY = '/.well-known/openid-configuration';

describe('discovery, JWKS and health: the fast path', () => {
  let s: TestSigil;
  let jwksPath: string;

  beforeAll(async () => {
    s = await startTestSigil('pglite');
    const c = s.client();
    // The first answers come from the pipeline while the buffers are prepared.
    const first = await pollUntil(
      () => c.get(DISCOVERY),
      (r) => typeof r.headers.etag === 'string',
      { what: 'a discovery answer with an ETag', timeoutMs: 10_000 },
    );
    jwksPath = new URL(first.json<{ jwks_uri: string }>().jwks_uri).pathname;
    await pollUntil(
      () => c.get(jwksPath),
      (r) => typeof r.headers.etag === 'string',
      { what: 'a JWKS answer with an ETag', timeoutMs: 10_000 },
    );
  });
  afterAll(async () => {
    await s.close();
  });

  it('serves discovery as the provider does, with the security headers and an ETag', async () => {
    const r = await s.client().get(DISCOVERY);
    expect(r.status).toBe(200);
    expect(r.json<{ issuer: string }>().issuer).toBe(s.issuer);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });

  it('answers If-None-Match with the current ETag with 304 and no body; another tag gets 200', async () => {
    const c = s.client();
    for (const path of [DISCOVERY, jwksPath]) {
      const full = await c.get(path);
      const etag = String(full.headers.etag);
      for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const r = await c.get(path, { 'if-none-match': tag });
        expect(r.status, `${path} ${tag}`).toBe(304);
        expect(r.text).toBe('');
        expect(r.headers.etag).toBe(etag);
      }
      const other = await c.get(path, { 'if-none-match': '"not-this-one"' });
      expect(other.status).toBe(200);
      expect(other.text).toBe(full.text);
    }
  });

  it('keeps the JWKS Cache-Control and publishes the keys the provider signs with', async () => {
    const r = await s.client().get(jwksPath);
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toMatch(/max-age=\d+/);
    const keys = r.json<{ keys: { kid: string; d?: string }[] }>().keys;
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.d).toBeUndefined();
  });

  it('answers health without the pipeline, still no-store', async () => {
    const c = s.client();
    const h = await c.get('/healthz');
    expect(h.status).toBe(200);
    expect(h.json()).toEqual({ status: 'ok' });
    expect(h.headers['cache-control']).toBe('no-store');
    const r = await c.get('/readyz');
    expect(r.status).toBe(200);
    expect(r.json<{ status: string }>().status).toBe('ready');
  });

  it('logs these requests at debug only, and still counts them in the request metric', async () => {
    const c = s.client();
    await c.get(jwksPath);
    const lines = s.logs.filter(
      (l) =>
        l['msg'] === 'request' && (l['req'] as { path?: string } | undefined)?.path === jwksPath,
    );
    const fast = lines.filter((l) => l['fast'] === true);
    expect(fast.length).toBeGreaterThan(0);
    expect(fast.every((l) => l['level'] === 20)).toBe(true);
    const metrics = await c.get('/metrics');
    expect(metrics.text).toMatch(
      new RegExp(
        `sigil_http_request_duration_seconds_count\\{route="${jwksPath}",method="GET",status="(200|304)"\\} [1-9]`,
      ),
    );
  });
});
