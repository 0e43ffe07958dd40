import { connect } from 'node:tls';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Client, Res } from '../../support/http-client.js';
import { authQuery } from '../../support/auth-request.js';
import {
  authorize,
  exchangeCode,
  KUBECTL,
  withRefreshToken,
  type RefreshableTokens,
} from '../../support/oidc-flow.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import {
  ALICE,
  startTestSigil,
  WEB_LOGIN,
  type Backend,
  type TestSigil,
} from '../../support/sigil.js';

/**
 * Hostile input, shared by every surface's test file: the payloads, the checks every answer
 * must pass (a 4xx with a clear error, never a 500, nothing reflected unescaped, no injected
 * header), and a raw TLS client for requests an HTTP library refuses to send.
 */
export const XSS = '<script>alert("sigil")</script>';
export const XSS_ATTR = '"><img src=x onerror=alert(1)>';
export const SQLI = "' OR '1'='1'; DROP TABLE audit_events; --";
export const LDAPI = '*)(uid=*))(|(uid=*';
export const CRLF = 'x\r\nSet-Cookie: injected=1\r\nX-Injected: 1';
export const NUL = 'a\u0000b';
export const TEMPLATE = '${7*7}{{7*7}}<%= 7*7 %>';
export const LONG = 'A'.repeat(100 * 1024);

/** Every injection payload; each must come back escaped or not at all. */
export const INJECTIONS = [XSS, XSS_ATTR, SQLI, LDAPI, CRLF, NUL, TEMPLATE, '\uFFFE\uD800', '😀'];

/** Raw substrings that must never appear in an HTML answer (they would be live markup). */
const LIVE_MARKUP = ['<script>alert', '<img src=x onerror', 'onerror=alert(1)>'];

function isHtml(r: Res): boolean {
  return (r.headers['content-type'] ?? '').includes('text/html');
}

/** Not a 5xx, no injected header, no live markup from the payloads. */
export function expectSafe(r: Res, what = ''): void {
  expect(r.status, `${what}: ${r.status} ${r.text.slice(0, 300)}`).toBeLessThan(500);
  expect(r.headers['x-injected'], what).toBeUndefined();
  for (const c of r.headers['set-cookie'] ?? []) expect(c, what).not.toMatch(/^injected=/);
  if (isHtml(r)) for (const m of LIVE_MARKUP) expect(r.text, what).not.toContain(m);
  // JSON answers must be JSON (never an HTML stack trace).
  if ((r.headers['content-type'] ?? '').includes('json')) expect(() => r.json()).not.toThrow();
}

/** A 4xx that says what is wrong: an OAuth error object, an error page, or an empty 4xx from Node. */
export function expectClientError(r: Res, what = ''): void {
  expectSafe(r, what);
  expect(r.status, `${what}: ${r.status} ${r.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  if ((r.headers['content-type'] ?? '').includes('json')) {
    const body = r.json();
    expect(typeof body['error'], what).toBe('string');
  } else if (isHtml(r)) {
    expect(r.text, what).toMatch(/role="alert"|<h1>/);
  }
}

export interface RawRes {
  status: number;
  head: string;
  body: string;
}

/** Sends bytes as they are over TLS and reads the answer (for malformed requests). */
export function rawRequest(
  s: TestSigil,
  bytes: Buffer | string,
  timeoutMs = 10_000,
): Promise<RawRes> {
  const u = new URL(s.issuer);
  return new Promise((resolve, reject) => {
    const sock = connect({
      host: '127.0.0.1',
      port: Number(u.port),
      ca: s.ca,
      servername: 'localhost',
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    sock.on('secureConnect', () => {
      sock.end(bytes);
    });
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (err) => {
      clearTimeout(timer);
      // The server may close on us mid-upload after answering; keep what arrived.
      if (chunks.length > 0) resolve(parse(Buffer.concat(chunks).toString('latin1')));
      else reject(err instanceof Error ? err : new Error(String(err)));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

function parse(text: string): RawRes {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  return { status, head, body: end === -1 ? '' : text.slice(end + 4) };
}

/** A valid authorization request for the public kubectl client, with `over` replacing params. */
export function authParams(over: Record<string, string> = {}): URLSearchParams {
  return authQuery({
    clientId: 'kubectl',
    redirectUri: 'http://127.0.0.1:8000',
    scope: 'openid email groups',
    state: 'state-1',
    extra: over,
  });
}

/** The path of that request: `/auth?…`. */
export function authPathWith(over: Record<string, string> = {}): string {
  return `/auth?${authParams(over).toString()}`;
}

/** Every log line at error level or above, and every request answered with a 5xx. */
export function serverErrors(s: TestSigil): Record<string, unknown>[] {
  return s.logs.filter(
    (l) =>
      (typeof l['level'] === 'number' && l['level'] >= 50) ||
      (l['msg'] === 'request' && typeof l['status'] === 'number' && l['status'] >= 500),
  );
}

export async function form(
  c: Client,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Res> {
  return c.request('POST', path, {
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

/** Logs alice in for `client` (kubectl or web) and exchanges the code. */
export async function tokensFor(
  s: TestSigil,
  client: 'kubectl' | 'web',
): Promise<RefreshableTokens> {
  const web = client === 'web';
  const login = web ? WEB_LOGIN : { ...KUBECTL, redirectUri: 'http://127.0.0.1:8000' };
  const a = await authorize(s.client(), {
    ...login,
    username: ALICE.username,
    password: ALICE.password,
    consent: web,
  });
  return withRefreshToken(await exchangeCode(s.client(), a, login));
}

/** encodeURIComponent that survives lone surrogates (they become U+FFFD, as a browser sends). */
export function enc(value: string): string {
  return encodeURIComponent(
    value.replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    ),
  );
}

/**
 * The sigil of one hostile-input file: started before its tests; after them, nothing it was
 * sent may have become a server error, then it stops. Call inside the file's describe; the
 * returned object forwards to the sigil once it has started.
 */
export function hostileSigil(backend: Backend, extra: Partial<ConfigInput> = {}): TestSigil {
  let started: TestSigil | undefined;
  beforeAll(async () => {
    started = await startTestSigil(backend, extra);
  });
  afterAll(async () => {
    if (started === undefined) return;
    expect(serverErrors(started)).toEqual([]);
    await started.close();
  });
  const current = (): TestSigil => {
    if (started === undefined) throw new Error('the sigil of this file starts in beforeAll');
    return started;
  };
  return new Proxy({} as TestSigil, {
    get: (_target, key) => Reflect.get(current(), key) as unknown,
  });
}
