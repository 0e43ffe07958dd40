import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/index.js';
import type { Closers } from '../lib/index.js';
import type { Logger } from '../log.js';
import { createReloadingTlsContext } from '../tls/index.js';
import type { HttpParts } from './http.js';

export interface Listening {
  /** Base URLs actually listening (ports resolved), https first. */
  readonly urls: readonly string[];
  readonly telemetryUrl?: string;
}

/**
 * Phase 4: the https listener (certificate reloaded when it changes), the plain http one and
 * the telemetry one, as configured. Closing drains them: stop accepting, finish in-flight
 * requests for at most `drainMs`, then cut what is left.
 */
export async function listenAll(
  config: Config,
  parts: HttpParts,
  log: Logger,
  closers: Closers,
  drainMs: number,
): Promise<Listening> {
  const servers: http.Server[] = [];
  closers.add(() => drain(servers, drainMs));
  const urls: string[] = [];
  const { https: httpsAddr, http: httpAddr, tlsCert, tlsKey } = config.web;
  if (httpsAddr !== undefined && tlsCert !== undefined && tlsKey !== undefined) {
    const tls = createReloadingTlsContext({ certFile: tlsCert, keyFile: tlsKey }, log);
    closers.add(() => {
      tls.stop();
    });
    const server = https.createServer({ ...tls.options }, parts.handler);
    tls.attach(server);
    urls.push(await listen(servers, server, httpsAddr, 'https'));
  }
  if (httpAddr !== undefined)
    urls.push(await listen(servers, http.createServer(parts.handler), httpAddr, 'http'));
  for (const s of servers) {
    s.headersTimeout = 20_000;
    s.requestTimeout = 30_000;
    s.keepAliveTimeout = 5_000;
  }
  if (config.telemetry.http === undefined) return { urls };
  const telemetry = http.createServer(parts.telemetry());
  return { urls, telemetryUrl: await listen(servers, telemetry, config.telemetry.http, 'http') };
}

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(addr.slice(i + 1)) };
}

/** Listens on `addr` and answers the base URL; the server joins `servers` once it listens. */
async function listen(
  servers: http.Server[],
  server: http.Server,
  addr: string,
  scheme: 'http' | 'https',
): Promise<string> {
  const { host, port } = splitHostPort(addr);
  const bound = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
  servers.push(server);
  const address = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return `${scheme}://${address}:${bound.port}`;
}

async function drain(servers: readonly http.Server[], drainMs: number): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          const cut = setTimeout(() => {
            s.closeAllConnections();
          }, drainMs);
          cut.unref();
          s.close(() => {
            clearTimeout(cut);
            resolve();
          });
          s.closeIdleConnections();
        }),
    ),
  );
}
