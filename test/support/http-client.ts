import http from 'node:http';
import https from 'node:https';
import { CookieJar } from './cookies.js';

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
  location?: string;
}

/** What one request sends beyond method and path: a body or form, and headers. */
export interface RequestOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  form?: Record<string, string>;
}

/**
 * A small cookie-keeping HTTP(S) client for black-box tests: real sockets, real TLS (with the
 * CA the test trusts), no redirects followed unless asked. Enough browser for the OAuth
 * flows: cookies by name (paths ignored except for sending), forms as urlencoded bodies.
 */
export class Client {
  readonly #jar = new CookieJar();
  readonly base: string;
  readonly opts: { ca?: string | Buffer; headers?: Record<string, string> };
  constructor(base: string, opts: { ca?: string | Buffer; headers?: Record<string, string> } = {}) {
    this.base = base;
    this.opts = opts;
  }

  /**
   * An absolute path is taken under the base's own path (an issuer at https://host/dex):
   * `/token` asks for /dex/token, as a client configured with that issuer would; a path that
   * already starts with it (a Location header, a form action) is used as it is. A full URL
   * reaches anything, e.g. the root outside the issuer's path.
   */
  url(path: string): URL {
    const base = new URL(this.base).pathname.replace(/\/$/, '');
    const under =
      base !== '' && path.startsWith('/') && path !== base && !path.startsWith(`${base}/`);
    return new URL(under ? `${base}${path}` : path, this.base);
  }

  /** The cookies this browser holds, by name (tests may read and change them). */
  get cookies(): Map<string, { value: string; path: string }> {
    return this.#jar.cookies;
  }

  request(method: string, path: string, init: RequestOptions = {}): Promise<Res> {
    const u = this.url(path);
    const headers: Record<string, string> = { ...this.opts.headers, ...init.headers };
    let body = init.body;
    if (init.form !== undefined) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const cookie = this.#jar.header(u.pathname);
    if (cookie !== '') headers['cookie'] = cookie;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        u,
        {
          method,
          headers,
          ...(u.protocol === 'https:'
            ? { ca: this.opts.ca, servername: u.hostname === '127.0.0.1' ? undefined : u.hostname }
            : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            this.#jar.store(res.headers['set-cookie']);
            const text = Buffer.concat(chunks).toString('utf8');
            const location = res.headers.location;
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: <T>() => JSON.parse(text) as T,
              ...(location === undefined ? {} : { location }),
            });
          });
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  get(path: string, headers?: Record<string, string>): Promise<Res> {
    return this.request('GET', path, headers === undefined ? {} : { headers });
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Res> {
    return this.request('POST', path, { form, ...(headers === undefined ? {} : { headers }) });
  }
}

/** The value of a hidden input in an HTML page. */
export function hiddenInput(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (m === null) throw new Error(`no hidden input ${name} in page`);
  return m[1]!;
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
