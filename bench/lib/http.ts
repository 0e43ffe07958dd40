import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { CookieJar } from '../../test/support/cookies.js';

export interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  location: string | undefined;
  /** Path and query that answered. */
  url: string;
}

/** Keep-alive connections shared by every flow of a driver (a browser keeps its connections). */
export function agent(ca: string, maxSockets: number): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets, ca, keepAliveMsecs: 10_000 });
}

/**
 * One browser for one flow: its own cookie jar (paths honoured by prefix, as oidc-provider
 * scopes its interaction cookies by path), requests over the shared agent, redirects not
 * followed. `onRequest` sees each request's latency in ms.
 */
export class Browser {
  readonly base: URL;
  readonly #agent: https.Agent;
  readonly #cookies = new CookieJar();
  readonly #onRequest: (ms: number) => void;

  constructor(base: string, agentFor: https.Agent, onRequest: (ms: number) => void) {
    this.base = new URL(base);
    this.#agent = agentFor;
    this.#onRequest = onRequest;
  }

  request(method: string, path: string, form?: Record<string, string>): Promise<Res> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { accept: 'text/html,application/json' };
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const cookie = this.#cookies.header(url.pathname);
    if (cookie !== '') headers['cookie'] = cookie;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          this.#onRequest(performance.now() - started);
          this.#cookies.store(res.headers['set-cookie']);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            location: res.headers.location,
            url: url.pathname + url.search,
          });
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path: string): Promise<Res> {
    return this.request('GET', path);
  }

  post(path: string, form: Record<string, string>): Promise<Res> {
    return this.request('POST', path, form);
  }

  /** Follows redirects while they stay on this origin; returns the first other answer. */
  async follow(res: Res): Promise<Res> {
    let r = res;
    for (let i = 0; i < 10 && r.status >= 300 && r.status < 400 && r.location !== undefined; i++) {
      const next = new URL(r.location, this.base);
      if (next.origin !== this.base.origin) return r;
      r = await this.get(next.pathname + next.search);
    }
    return r;
  }
}

/** A failed step of a flow: what was expected, what came back (never a secret). */
export class FlowError extends Error {
  readonly kind: string;
  constructor(kind: string, res?: Res) {
    const snippet = res === undefined ? '' : ` (${String(res.status)}: ${oneLine(res.text)})`;
    super(`${kind}${snippet}`);
    this.kind = kind;
  }
}

/** An answer's body in one line: an OAuth error and its description, or an HTML page's text. */
export function oneLine(text: string): string {
  const json = /"error":"([^"]*)"(?:,"error_description":"([^"]*)")?/.exec(text);
  if (json !== null) return `${json[1] ?? ''}: ${json[2] ?? ''}`;
  // oidc-provider's and sigil's HTML error pages: the body text without tags.
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(text)?.[1] ?? text;
  return body
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

export function formInputs(html: string, formHtml?: string): Record<string, string> {
  const out: Record<string, string> = {};
  const scope = formHtml ?? html;
  for (const m of scope.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    if (name === undefined) continue;
    const type = /\btype="([^"]*)"/.exec(tag)?.[1]?.toLowerCase() ?? 'text';
    if (type === 'submit' || type === 'button' || type === 'checkbox' || type === 'radio') continue;
    out[name] = decodeEntities(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  return out;
}

export interface HtmlForm {
  action: string;
  method: string;
  html: string;
}

export function forms(html: string): HtmlForm[] {
  const out: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = m[1] ?? '';
    out.push({
      action: decodeEntities(/\baction="([^"]*)"/.exec(attrs)?.[1] ?? ''),
      method: (/\bmethod="([^"]*)"/.exec(attrs)?.[1] ?? 'get').toLowerCase(),
      html: m[2] ?? '',
    });
  }
  return out;
}

export function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
