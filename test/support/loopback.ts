import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, type Res } from './http-client.js';

/**
 * The local end of a native app's loopback redirect (RFC 8252 §7.3), as kubelogin runs it
 * (int128/oauth2cli): an HTTP server on 127.0.0.1 and a random port that waits for the
 * browser to bring the authorization response in the query of a GET.
 */
export interface LoopbackListener {
  readonly port: number;
  /** Every request the listener received (the favicon excluded), in order. */
  readonly requests: URL[];
  close(): Promise<void>;
}

export async function startLoopbackListener(host = '127.0.0.1'): Promise<LoopbackListener> {
  const requests: URL[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
    if (url.pathname === '/favicon.ico') {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'GET') requests.push(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Authenticated</title><p>You can close this window.</p>');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A cookieless GET to a loopback http URL (another origin than the issuer's). */
function loopbackGet(url: URL): Promise<Res> {
  return new Client(url.origin).get(url.pathname + url.search);
}

export interface BrowseResult {
  res: Res;
  /** The URL that gave `res`. */
  url: URL;
}

/**
 * Follows redirects as a browser does: on the issuer's origin with `browser`'s cookies, and
 * into an http loopback URL without them (another origin). Stops at the first answer that is
 * not a redirect, and at any redirect to a non-loopback origin (a browser would go there;
 * tests must see it instead).
 */
export async function browse(browser: Client, first: Res, firstUrl: URL): Promise<BrowseResult> {
  const issuer = new URL(browser.base).origin;
  let res = first;
  let url = firstUrl;
  for (let i = 0; i < 15 && res.status >= 300 && res.status < 400; i++) {
    if (res.location === undefined) break;
    const next = new URL(res.location, url);
    if (next.origin === issuer) {
      res = await browser.get(next.pathname + next.search);
    } else if (next.protocol === 'http:' && LOOPBACK_HOSTS.has(next.hostname)) {
      res = await loopbackGet(next);
    } else {
      break;
    }
    url = next;
  }
  return { res, url };
}
