import { createHash } from 'node:crypto';
import type { Middleware, ParameterizedContext } from 'koa';
import { stringify } from 'yaml';
import type { ClusterConfig } from '../../config/index.js';
import {
  buildAuthenticationConfiguration,
  buildDenyRules,
  type AuthenticationConfiguration,
  type DenyEntryInput,
} from '../../kube/index.js';
import type { Audit } from '../../security/index.js';
import { authenticateCluster } from './cluster-auth.js';
import { sendProblem } from './problem.js';

/**
 * `GET /api/v1/clusters/{name}/authentication-config`: the cluster's AuthenticationConfiguration
 * with the current deny rules, for its sync agent (`sigil kube sync`). Authenticated with the
 * cluster's own `syncSecret` (the `cluster` principal), never the admin scope: a cluster reads
 * its own configuration and nothing else.
 *
 * JSON (the default) is a `ClusterAuthenticationConfig` envelope: the configuration, the live
 * deny entries it was built from (with their keepUntil, so the agent can prune them while sigil
 * is unreachable) and a summary. `Accept: application/yaml` gives the file itself. An ETag
 * lets the agent ask `If-None-Match`: an unchanged configuration is a 304 and is not audited;
 * every configuration served is (`cluster.config.served`, with the cluster and the entries).
 */
export interface ClusterApiDeps {
  readonly issuer: string;
  readonly clusters: readonly ClusterConfig[];
  /** PEM of the CA of sigil's serving certificate, read when asked (it may be reloaded). */
  readonly caPem: () => string | undefined;
  /** The live deny entries (login_revocations). */
  readonly denyEntries: () => Promise<readonly DenyEntryInput[]>;
  readonly audit?: Audit;
  readonly now?: () => Date;
}

export const CLUSTER_CONFIG_KIND = 'ClusterAuthenticationConfig';
export const CLUSTER_CONFIG_API_VERSION = 'sigil.dev/v1';

export interface ClusterAuthenticationConfig {
  readonly apiVersion: typeof CLUSTER_CONFIG_API_VERSION;
  readonly kind: typeof CLUSTER_CONFIG_KIND;
  readonly cluster: string;
  readonly issuer: string;
  readonly generatedAt: string;
  readonly authenticationConfiguration: AuthenticationConfiguration;
  readonly revocations: readonly WireEntry[];
  readonly summary: {
    readonly entries: number;
    readonly sessions: number;
    readonly subjects: number;
    readonly windows: number;
    readonly cutoff?: string;
  };
}

/** A deny entry on the wire: times as RFC 3339 strings. */
export interface WireEntry {
  readonly kind: 'session' | 'subject' | 'window';
  readonly sid?: string;
  readonly sub?: string;
  readonly notBefore?: string;
  readonly iatFrom?: string;
  readonly iatUntil?: string;
  readonly createdAt: string;
  readonly keepUntil: string;
}

const iso = (d: Date | undefined) => (d === undefined ? {} : d.toISOString());

export function toWire(e: DenyEntryInput): WireEntry {
  const opt = (k: string, v: string | Date | undefined) =>
    v === undefined ? {} : { [k]: typeof v === 'string' ? v : iso(v) };
  return {
    kind: e.kind,
    ...opt('sid', e.sid),
    ...opt('sub', e.sub),
    ...opt('notBefore', e.notBefore),
    ...opt('iatFrom', e.iatFrom),
    ...opt('iatUntil', e.iatUntil),
    createdAt: e.createdAt.toISOString(),
    keepUntil: e.keepUntil.toISOString(),
  } as WireEntry;
}

/** The route: `{name}` and the rest of the path, or undefined for another path. */
const ROUTE = /^\/api\/v1\/clusters\/([^/]*)\/authentication-config$/;

export function clusterApi(deps: ClusterApiDeps): Middleware {
  return async (ctx, next) => {
    const m = ROUTE.exec(ctx.path);
    if (m === null) {
      await next();
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.set('Allow', 'GET, HEAD');
      sendProblem(ctx, 405, 'method-not-allowed', 'Method not allowed', 'use GET');
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(m[1] ?? '');
    } catch {
      sendProblem(ctx, 400, 'bad-request', 'Bad request', 'the cluster name is not valid');
      return;
    }
    const cluster = deps.clusters.find((c) => c.name === name);
    if (cluster === undefined) {
      sendProblem(ctx, 404, 'cluster-not-found', 'No such cluster', 'no cluster has that name');
      return;
    }
    const auth = authenticateCluster(deps.clusters, name, ctx.get('authorization') || undefined);
    if (!auth.ok) {
      if (auth.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="sigil"');
      sendProblem(
        ctx,
        auth.status,
        auth.slug,
        auth.status === 401 ? 'Unauthenticated' : 'Forbidden',
        auth.detail,
      );
      return;
    }
    await serve(ctx, deps, cluster);
  };
}

async function serve(
  ctx: ParameterizedContext,
  deps: ClusterApiDeps,
  cluster: ClusterConfig,
): Promise<void> {
  const now = (deps.now ?? (() => new Date()))();
  const entries = (await deps.denyEntries()).filter((e) => e.keepUntil > now);
  const deny = buildDenyRules(entries, now);
  const config = buildAuthenticationConfiguration({
    issuer: deps.issuer,
    cluster,
    caPem: deps.caPem(),
    deny: deny.rules,
  });
  const yaml = ctx.accepts('application/json', 'application/yaml') === 'application/yaml';
  const envelope: ClusterAuthenticationConfig = {
    apiVersion: CLUSTER_CONFIG_API_VERSION,
    kind: CLUSTER_CONFIG_KIND,
    cluster: cluster.name,
    issuer: deps.issuer,
    generatedAt: now.toISOString(),
    authenticationConfiguration: config,
    revocations: entries.map(toWire),
    summary: {
      entries: deny.entries,
      sessions: deny.sessions,
      subjects: deny.subjects,
      windows: deny.windows,
      ...(deny.cutoff === undefined ? {} : { cutoff: deny.cutoff.toISOString() }),
    },
  };
  // The ETag covers what the agent writes (the configuration), not the generation time.
  const etag = `"${createHash('sha256')
    .update(JSON.stringify([config, envelope.revocations]))
    .digest('base64url')
    .slice(0, 27)}"`;
  ctx.set('ETag', etag);
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Vary', 'Accept, Authorization');
  if (ctx.get('if-none-match') === etag) {
    ctx.status = 304;
    return;
  }
  ctx.status = 200;
  if (yaml) {
    ctx.type = 'application/yaml';
    ctx.body = stringify(config, { lineWidth: 0 });
  } else {
    ctx.type = 'application/json';
    ctx.body = envelope;
  }
  await deps.audit?.record({
    event: 'cluster.config.served',
    outcome: 'success',
    ip: ctx.ip,
    details: {
      actor: { kind: 'cluster', id: cluster.name },
      cluster: cluster.name,
      entries: deny.entries,
      rules: deny.rules.length,
      ...(deny.cutoff === undefined ? {} : { cutoff: deny.cutoff.toISOString() }),
    },
  });
}
