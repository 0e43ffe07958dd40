import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { ClusterConfig } from '../../config/index.js';
import {
  buildAuthenticationConfiguration,
  buildDenyRules,
  type AuthenticationConfiguration,
  type DenyEntryInput,
} from '../../kube/index.js';
import type { ApiContext } from './auth.js';
import type { ClusterApiDeps } from './cluster-deps.js';
import type { ApiDeps, ApiRouter } from './context.js';

export type { ClusterApiDeps };
import { Problem } from './problem.js';

/**
 * `GET /api/v1/clusters/{name}/authentication-config`: the cluster's AuthenticationConfiguration
 * with the current deny rules, for its sync agent (`sigil kube sync`). Authenticated with the
 * cluster's own `syncSecret` (the `cluster` principal of api/auth.ts, compared in constant
 * time), never the admin scope: a cluster reads its own configuration and nothing else. No
 * credential, an invalid one (another cluster's secret included) → 401; a person's or a
 * client's token → 403; an unknown cluster → 404.
 *
 * JSON (the default) is a `ClusterAuthenticationConfig` envelope: the configuration, the live
 * deny entries it was built from (with their keepUntil, so the agent can prune them while sigil
 * is unreachable) and a summary. `Accept: application/yaml` gives the file itself. An ETag
 * lets the agent ask `If-None-Match`: an unchanged configuration is a 304 and is not audited;
 * every configuration served is (`cluster.config.served`, with the cluster and the entries).
 */

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

export function toWire(e: DenyEntryInput): WireEntry {
  const opt = (k: string, v: string | Date | undefined) =>
    v === undefined ? {} : { [k]: typeof v === 'string' ? v : v.toISOString() };
  return {
    kind: e.kind,
    ...opt('sid', e.sid),
    ...opt('sub', e.sub),
    ...opt('notBefore', e.notBefore),
    ...opt('iatFrom', e.iatFrom),
    ...opt('iatUntil', e.iatUntil),
    createdAt: e.createdAt.toISOString(),
    keepUntil: e.keepUntil.toISOString(),
  };
}

/**
 * The route, added to the API router: an unknown cluster is a 404 (whoever asks), then only
 * that cluster's own sync secret (the `cluster` principal, api/auth.ts) may read it.
 */
export function clusterRoutes(router: ApiRouter, api: ApiDeps): void {
  const deps = api.clusters;
  if (deps === undefined) return;
  router.get('/clusters/:name/authentication-config', async (ctx: ApiContext) => {
    const name =
      (ctx as ApiContext & { params: Record<string, string | undefined> }).params['name'] ?? '';
    const cluster = deps.clusters.find((c) => c.name === name);
    if (cluster === undefined) throw new Problem('not-found', 'no cluster has that name');
    const p = ctx.state.principal;
    if (p === undefined)
      throw new Problem('unauthenticated', "send the cluster's sync secret as a bearer token");
    if (p.kind !== 'cluster' || p.name !== cluster.name)
      throw new Problem('forbidden', "this call needs the cluster's own sync secret");
    await serve(ctx, deps, cluster);
  });
}

async function serve(ctx: ApiContext, deps: ClusterApiDeps, cluster: ClusterConfig): Promise<void> {
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
  // The ETag covers what the agent writes (configuration and entries), not the generation time.
  const etag = `"${createHash('sha256')
    .update(JSON.stringify([config, envelope.revocations]))
    .digest('base64url')
    .slice(0, 27)}"`;
  ctx.set('ETag', etag);
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
