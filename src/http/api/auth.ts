import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { ADMIN_SCOPE } from '../../config/index.js';
import { anyOf } from '../../lib/index.js';
import type { Provider } from '../../oidc/index.js';
import { findIdentity, type Queryable } from '../../storage/index.js';
import type { SigilState } from '../shared/index.js';
import { Problem } from './problem.js';

/**
 * Who calls the API, resolved once per request from `Authorization: Bearer <token>`:
 * - a person: an access token sigil issued to them, through any client (their groups are the
 *   ones sigil last saw, refreshed at every login and refresh);
 * - a client: a client credentials token (automation of `admin.clients`);
 * - a cluster: its `syncSecret`, only on `/api/v1/clusters/{name}/...` (issue 15 wires it).
 */
export type Principal =
  | {
      readonly kind: 'person';
      readonly sub: string;
      readonly username: string;
      readonly groups: readonly string[];
      readonly clientId: string;
      readonly scopes: ReadonlySet<string>;
      /** The grant (login) the access token belongs to. */
      readonly grantId?: string | undefined;
    }
  | { readonly kind: 'client'; readonly clientId: string; readonly scopes: ReadonlySet<string> }
  | { readonly kind: 'cluster'; readonly name: string };

/** Who acted, as the audit trail records it (`details.actor`). */
export interface Actor {
  readonly kind: 'person' | 'client' | 'operator' | 'cluster' | 'system';
  readonly id: string;
}

export function actorOf(p: Principal): Actor {
  switch (p.kind) {
    case 'person':
      return { kind: 'person', id: p.sub };
    case 'client':
      return { kind: 'client', id: p.clientId };
    case 'cluster':
      return { kind: 'cluster', id: p.name };
  }
}

export interface ApiState extends SigilState {
  /** Set by `authenticate` when the request carried a valid bearer credential. */
  principal?: Principal;
}

export type ApiContext = Context & { state: ApiState };
export type ApiMiddleware = Middleware<ApiState>;

export interface AuthDeps {
  readonly provider: () => Provider;
  readonly db: Queryable;
  readonly admin: { readonly groups: readonly string[]; readonly clients: readonly string[] };
  /** A cluster's sync secret by name (issue 15); none: cluster credentials are never accepted. */
  readonly clusterSecret?: (name: string) => string | undefined;
}

/** RFC 6750 token68 characters; anything else is not a token sigil issued. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_CHARS = 4096;
const CLUSTER_PATH = /\/api\/v1\/clusters\/([^/]+)\//;

function bearerOf(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  if (header === '') return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  const token = m?.[1];
  if (token === undefined || token.length > MAX_TOKEN_CHARS || !TOKEN68.test(token))
    throw new Problem('unauthenticated', 'the Authorization header is not a bearer token');
  return token;
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

async function personOrClient(deps: AuthDeps, token: string): Promise<Principal | undefined> {
  const provider = deps.provider();
  const at = await provider.AccessToken.find(token);
  if (at !== undefined && at.clientId !== undefined) {
    // A token whose grant was revoked (a session ended) is no longer a credential.
    const grant = await provider.Grant.find(at.grantId);
    if (grant === undefined || grant.accountId !== at.accountId) return undefined;
    const stored = await findIdentity(deps.db, at.accountId);
    if (stored === undefined) return undefined;
    const groups: unknown = stored.identity['groups'];
    return {
      kind: 'person',
      sub: at.accountId,
      username: stored.identity.username,
      groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
      clientId: at.clientId,
      scopes: at.scopes,
      grantId: at.grantId,
    };
  }
  const cc = await provider.ClientCredentials.find(token);
  if (cc?.clientId !== undefined)
    return { kind: 'client', clientId: cc.clientId, scopes: cc.scopes };
  return undefined;
}

/**
 * The one authentication middleware of the API: resolves the bearer credential into
 * `ctx.state.principal`. No header: no principal (the guards answer 401). A header that is
 * not a live credential sigil issued (expired, revoked, another issuer's, garbage): 401.
 */
export function authenticate(deps: AuthDeps): ApiMiddleware {
  return async (ctx, next) => {
    const token = bearerOf(ctx);
    if (token !== undefined) {
      const cluster = CLUSTER_PATH.exec(ctx.path)?.[1];
      const secret = cluster === undefined ? undefined : deps.clusterSecret?.(cluster);
      const principal =
        secret !== undefined && cluster !== undefined && sameSecret(secret, token)
          ? ({ kind: 'cluster', name: cluster } as const)
          : await personOrClient(deps, token);
      if (principal === undefined) {
        ctx.set('WWW-Authenticate', 'Bearer realm="sigil", error="invalid_token"');
        throw new Problem(
          'unauthenticated',
          'the bearer token is not valid (expired, revoked or not issued by this sigil)',
        );
      }
      ctx.state.principal = principal;
    }
    await next();
  };
}

function principalOf(ctx: ApiContext): Principal {
  const p = ctx.state.principal;
  if (p === undefined) throw new Problem('unauthenticated', 'this call needs a bearer token');
  return p;
}

/**
 * Admin calls: a person whose token has the admin scope and who is in `admin.groups` now, or
 * an `admin.clients` client whose client credentials token has the admin scope.
 */
export function requireAdmin(admin: AuthDeps['admin']): ApiMiddleware {
  const adminGroup = anyOf(admin.groups);
  return async (ctx: ApiContext, next: Next) => {
    const p = principalOf(ctx);
    const allowed =
      (p.kind === 'person' && p.scopes.has(ADMIN_SCOPE) && p.groups.some(adminGroup)) ||
      (p.kind === 'client' && p.scopes.has(ADMIN_SCOPE) && admin.clients.includes(p.clientId));
    if (!allowed)
      throw new Problem('forbidden', `this call needs the ${ADMIN_SCOPE} scope of an admin`);
    await next();
  };
}

/** A person's own calls (any scope): their access token, through any client. */
export const requirePerson: ApiMiddleware = async (ctx: ApiContext, next: Next) => {
  if (principalOf(ctx).kind !== 'person')
    throw new Problem('forbidden', 'this call needs a person’s access token');
  await next();
};

/** A cluster's own calls (`/api/v1/clusters/{name}/...`): that cluster's sync secret. */
export function requireCluster(name: (ctx: ApiContext) => string): ApiMiddleware {
  return async (ctx: ApiContext, next: Next) => {
    const p = principalOf(ctx);
    if (p.kind !== 'cluster' || p.name !== name(ctx))
      throw new Problem('forbidden', 'this call needs the cluster’s sync secret');
    await next();
  };
}
