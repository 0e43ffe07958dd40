import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A tiny TLS-terminating, round-robin HTTP load balancer for the HA tests: every request
 * (not every connection) goes to the next backend, so a login or a refresh chain hops
 * between replicas. It behaves as a careful real balancer does: a backend that refuses the
 * connection is skipped (the request never reached it, so trying the other one is safe) and
 * marked down for a moment; a connection that breaks after the request was sent is a 502
 * (it may have been processed: never replayed). No keep-alive to the backends, so a replica
 * closing idle sockets cannot race with a reused one.
 */
export interface ProxyLogEntry {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly backend: number;
  readonly status: number;
}

export interface Proxy {
  readonly port: number;
  readonly log: ProxyLogEntry[];
  /** Requests that were refused by a backend and sent to another. */
  readonly retried: { count: number };
  close(): Promise<void>;
}

export async function startProxy(opts: {
  cert: string;
  key: string;
  backends: () => readonly number[];
}): Promise<Proxy> {
  const log: ProxyLogEntry[] = [];
  const retried = { count: 0 };
  const downUntil = new Map<number, number>();
  let rr = 0;

  const pick = (tried: ReadonlySet<number>): number | undefined => {
    const candidates = opts.backends().flatMap((_, i) => (tried.has(i) ? [] : [i]));
    const up = candidates.filter((i) => (downUntil.get(i) ?? 0) <= Date.now());
    const pool = up.length > 0 ? up : candidates;
    return pool.length === 0 ? undefined : pool[rr++ % pool.length];
  };

  const server = https.createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const tried = new Set<number>();
      const attempt = (): void => {
        const idx = pick(tried);
        const port = idx === undefined ? undefined : opts.backends()[idx];
        if (idx === undefined || port === undefined) {
          res.writeHead(503, { 'content-type': 'text/plain' }).end('no backend');
          return;
        }
        tried.add(idx);
        const headers: http.OutgoingHttpHeaders = {
          ...req.headers,
          'x-forwarded-proto': 'https',
          'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
          connection: 'close',
        };
        const up = http.request(
          { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false },
          (upRes) => {
            const status = upRes.statusCode ?? 502;
            log.push({
              at: Date.now(),
              method: req.method ?? '',
              path: (req.url ?? '').split('?')[0] ?? '',
              backend: idx,
              status,
            });
            const h = { ...upRes.headers, 'x-sigil-backend': String(idx) };
            delete h.connection;
            res.writeHead(status, h);
            upRes.pipe(res);
            upRes.on('error', () => res.destroy());
          },
        );
        up.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED') {
            downUntil.set(idx, Date.now() + 1000);
            retried.count++;
            attempt();
            return;
          }
          log.push({
            at: Date.now(),
            method: req.method ?? '',
            path: (req.url ?? '').split('?')[0] ?? '',
            backend: idx,
            status: 502,
          });
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`bad gateway: ${err.code ?? err.message}`);
        });
        up.end(body);
      };
      attempt();
    });
  });
  // Longer than any client's idle keep-alive: the proxy never closes a socket a client may reuse.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    log,
    retried,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
