import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../log.js';
import { methodLabel, routeLabel, type Metrics } from '../../metrics/index.js';
import { dispatchInProcess, type RequestListener } from '../portal/index.js';
import { paths } from '../shared/index.js';
import { readiness, type ReadinessCheck } from './health.js';

/**
 * Discovery, JWKS and health, answered before the Koa pipeline: kube-apiserver, every verifier
 * and the load balancer poll them, and the documents change only with the provider (a new key
 * set). Each document is asked once of the whole pipeline (in process, so it carries exactly
 * the headers a normal answer has: security headers, Cache-Control), kept as a buffer with an
 * ETag, and replayed; `If-None-Match` gets a 304. The request log line of these paths is at
 * debug level; the request metric is still counted.
 */
export interface FastPathDeps {
  /** The whole app (Koa callback), asked once per provider for each document. */
  readonly app: RequestListener;
  /** The provider in service: a new one (new keys) means documents prepared anew. */
  readonly current: () => object;
  readonly issuer: string;
  readonly readiness: readonly ReadinessCheck[];
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
}

interface Doc {
  readonly body: Buffer;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface Docs {
  readonly byPath: ReadonlyMap<string, Doc>;
  /** The security headers every answer carries (from the discovery answer). */
  readonly common: Readonly<Record<string, string>>;
}

/** Headers that belong to one answer, not to the document: never replayed. */
const PER_ANSWER = new Set([
  'x-request-id',
  'date',
  'content-length',
  'connection',
  'keep-alive',
  'etag',
  'transfer-encoding',
  'set-cookie',
]);
const DOCUMENT_ONLY = new Set(['content-type', 'cache-control', 'vary', 'last-modified']);

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Handles the request when it is one of the fast paths (true), else leaves it (false). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createFastPath(deps: FastPathDeps): FastPath {
  const prepared = new WeakMap<object, Promise<Docs | undefined>>();
  const host = new URL(deps.issuer).host;
  const base = new URL(deps.issuer).pathname.replace(/\/$/, '');
  const discoveryPath = `${base}/.well-known/openid-configuration`;
  let ready: Docs | undefined;
  let readyFor: object | undefined;

  const docsNow = (): Docs | undefined => {
    const provider = deps.current();
    if (readyFor === provider) return ready;
    if (!prepared.has(provider)) {
      const p = prepare(deps.app, host, discoveryPath).catch((err: unknown) => {
        deps.log.warn({ err }, 'discovery and JWKS not prepared; served by the provider');
        return undefined;
      });
      prepared.set(provider, p);
      void p.then((docs) => {
        if (docs !== undefined && deps.current() === provider) {
          ready = docs;
          readyFor = provider;
        }
      });
    }
    return undefined;
  };

  return (req, res) => {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const docs = docsNow();
    if (docs === undefined) return false;
    const started = process.hrtime.bigint();
    // As on every answer: the caller's sane request id kept, or a new one (request-log.ts).
    const incoming = req.headers['x-request-id'];
    const reqId = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', reqId);
    const done = (status: number) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics?.httpRequest(routeLabel(path), methodLabel(method), status, seconds);
      if (deps.log.isLevelEnabled('debug'))
        deps.log.debug({ reqId, req: { method, url: path }, status, fast: true }, 'request');
    };
    const doc = docs.byPath.get(path);
    if (doc !== undefined) {
      done(sendDoc(req, res, docs.common, doc));
      return true;
    }
    if (path === paths.healthz) {
      done(sendJson(res, docs.common, 200, { status: 'ok' }, method));
      return true;
    }
    if (path === paths.readyz) {
      void readiness(deps.readiness).then((r) => {
        done(sendJson(res, docs.common, r.ready ? 200 : 503, r.body, method));
      });
      return true;
    }
    return false;
  };
}

/** Asks the pipeline for discovery, then for the JWKS it names. */
async function prepare(app: RequestListener, host: string, discoveryPath: string): Promise<Docs> {
  const get = async (path: string) => {
    const r = await dispatchInProcess(app, { method: 'GET', path, host, secure: true });
    if (r.status !== 200) throw new Error(`${path} answered ${String(r.status)}`);
    return r;
  };
  const discovery = await get(discoveryPath);
  const jwksUri = (JSON.parse(discovery.body) as { jwks_uri?: unknown }).jwks_uri;
  if (typeof jwksUri !== 'string') throw new Error('discovery names no jwks_uri');
  const jwksPath = new URL(jwksUri).pathname;
  const jwks = await get(jwksPath);
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(discovery.headers)) {
    const name = k.toLowerCase();
    if (v === undefined || PER_ANSWER.has(name) || DOCUMENT_ONLY.has(name)) continue;
    common[name] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return {
    byPath: new Map([
      [discoveryPath, docOf(discovery)],
      [jwksPath, docOf(jwks)],
    ]),
    common,
  };
}

function docOf(r: Awaited<ReturnType<typeof dispatchInProcess>>): Doc {
  const body = Buffer.from(r.body, 'utf8');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    const name = k.toLowerCase();
    if (v === undefined || !DOCUMENT_ONLY.has(name)) continue;
    headers[name] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, etag, headers };
}

/** Whether an If-None-Match header names this ETag (weak comparison, `*` included). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

function sendDoc(
  req: IncomingMessage,
  res: ServerResponse,
  common: Readonly<Record<string, string>>,
  doc: Doc,
): number {
  const notModified = matchesEtag(req.headers['if-none-match'], doc.etag);
  const status = notModified ? 304 : 200;
  res.writeHead(status, {
    ...common,
    ...doc.headers,
    etag: doc.etag,
    ...(notModified ? {} : { 'content-length': String(doc.body.length) }),
  });
  res.end(notModified || req.method === 'HEAD' ? undefined : doc.body);
  return status;
}

function sendJson(
  res: ServerResponse,
  common: Readonly<Record<string, string>>,
  status: number,
  body: unknown,
  method: string,
): number {
  const buf = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    ...common,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(buf.length),
  });
  res.end(method === 'HEAD' ? undefined : buf);
  return status;
}
