import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnSigil, type Spawned } from '../../support/cli.js';
import { freePort } from '../../support/net.js';
import { waitUntil } from '../../support/poll.js';
import { createTestDatabase } from '../../support/postgres.js';

/**
 * Logs as an operator sees them, from the built CLI: JSON lines by default when stdout is not
 * a terminal, pretty text on request, the level from the config file, a request id on every
 * request line (an incoming X-Request-Id is kept), and no query strings or passwords.
 */

function request(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('logs of sigil serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sigil-logs-'));
  const running: Spawned[] = [];
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const r of running) await r.stop();
    for (const d of drops) await d();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(
    logger: Record<string, string>,
    env: NodeJS.ProcessEnv = { SIGIL_LOG_LEVEL: '' },
  ): Promise<{ port: number; run: Spawned }> {
    const db = await createTestDatabase(inject('pgUrl'));
    drops.push(db.drop);
    const port = await freePort();
    const file = join(dir, `config-${String(port)}.yaml`);
    writeFileSync(
      file,
      stringify({
        issuer: 'https://sigil.example.test',
        storage: { type: 'postgres', config: { url: db.url } },
        web: { http: `127.0.0.1:${String(port)}`, proxy: true },
        logger,
        enablePasswordDB: true,
        staticPasswords: [
          {
            email: 'ann@example.com',
            username: 'ann',
            userID: 'ann-1',
            hash: '$2b$10$0Yk1yq3D4l5m6n7o8p9q0uWcS3Nf6cYb4f6P9p1l5mQ7m2xWc8r1K',
          },
        ],
        staticClients: [{ id: 'kubectl', public: true }],
      }),
    );
    const run = spawnSigil(['serve', '--config', file], { env });
    running.push(run);
    // Up when /healthz answers (at level warn there is no "listening" line to wait for).
    await waitUntil(async () => (await request(port, '/healthz')).status === 200, {
      what: 'sigil to answer /healthz',
      timeoutMs: 30_000,
      intervalMs: 100,
      abort: () =>
        run.proc.exitCode === null ? undefined : `sigil did not start: ${run.output()}`,
    });
    return { port, run };
  }

  it('writes JSON lines by default (stdout is not a terminal), with request ids and no query strings', async () => {
    const { port, run } = await start({ level: 'info', format: 'auto' });
    // The start page: health, discovery and JWKS log at debug (bench/README.md, issue 18).
    const r = await request(port, '/?code=SECRET-CODE-123', {
      headers: { 'x-request-id': 'trace-abc-123' },
    });
    expect(r.headers['x-request-id']).toBe('trace-abc-123');
    const generated = await request(port, '/nope');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await request(port, '/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&username=ann&password=HUNTER2-PASSWORD&client_id=kubectl',
    });
    await run.waitFor(/"path":"\/token"/);
    const lines = run
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const health = parsed.find((l) => l['reqId'] === 'trace-abc-123');
    expect(health).toMatchObject({
      msg: 'request',
      reqId: 'trace-abc-123',
      status: 200,
      level: 30,
    });
    expect(parsed.find((l) => l['reqId'] === generated.headers['x-request-id'])).toBeDefined();
    expect(run.output()).not.toContain('SECRET-CODE-123');
    expect(run.output()).not.toContain('HUNTER2-PASSWORD');
    expect(parsed.some((l) => l['msg'] === 'sigil listening')).toBe(true);
  });

  it('honours logger.level from the config file', async () => {
    const { port, run } = await start({ level: 'warn', format: 'json' });
    await request(port, '/healthz');
    await request(port, '/nope');
    await run.stop(); // all it will ever write is written (no wait for lines that may come)
    const out = run.output();
    expect(out).not.toContain('"msg":"request"');
    expect(out).not.toContain('sigil listening"');
  });

  it('writes pretty text with format: text', async () => {
    const { port, run } = await start({ level: 'info', format: 'text' });
    await request(port, '/', { headers: { 'x-request-id': 'pretty-1' } });
    await run.waitFor(/pretty-1/);
    const out = run.output();
    expect(out).toMatch(/INFO.*sigil listening/);
    expect(out.split('\n').some((l) => l.startsWith('{'))).toBe(false);
  });

  it('takes SIGIL_LOG_LEVEL over the config, and refuses a level that does not exist', async () => {
    const { port, run } = await start(
      { level: 'warn', format: 'json' },
      { SIGIL_LOG_LEVEL: 'info' },
    );
    await request(port, '/', { headers: { 'x-request-id': 'env-level' } });
    await run.waitFor(/"reqId":"env-level"/);
    await expect(
      start({ level: 'info', format: 'json' }, { SIGIL_LOG_LEVEL: 'loud' }),
    ).rejects.toThrow(/SIGIL_LOG_LEVEL=loud: expected one of trace, debug, info/);
  });
});
