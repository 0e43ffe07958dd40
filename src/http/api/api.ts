import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { AuditOutcome } from '../../security/index.js';
import { paths, type SigilState } from '../shared/index.js';
import {
  actorOf,
  authenticate,
  type ApiContext,
  type ApiMiddleware,
  type ApiState,
} from './auth.js';
import type { ApiDeps, ApiRouter } from './context.js';
import { openApiDocument } from './openapi/index.js';
import { problemBoundary, Problem } from './problem.js';
import { auditRoutes } from './audit.js';
import { clusterRoutes } from './clusters.js';
import { elevationRoutes } from './elevations.js';
import { keyRoutes } from './keys.js';
import { sessionRoutes } from './sessions.js';
import { userRoutes } from './users.js';
import { whoamiRoutes } from './whoami.js';

/** Where the API answers, under the issuer's path. */
export const API_PREFIX = paths.api;

/** The API's base path for an issuer (`https://host/dex` → `/dex/api/v1`). */
export function apiBase(issuer: string): string {
  return `${new URL(issuer).pathname.replace(/\/+$/, '')}${API_PREFIX}`;
}

/** A resource's routes, added to the API router (one file per resource). */
export type ApiResource = (router: ApiRouter, deps: ApiDeps) => void;

const RESOURCES: readonly ApiResource[] = [
  whoamiRoutes,
  sessionRoutes,
  userRoutes,
  keyRoutes,
  auditRoutes,
  clusterRoutes,
  elevationRoutes,
];

/** JSON bodies only, within the body limit; unknown fields are refused by each call's schema. */
function jsonBody(maxBodyBytes: number): ApiMiddleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: `${maxBodyBytes}b`,
    encoding: 'utf-8',
    jsonStrict: true,
  }) as unknown as ApiMiddleware;
  return async (ctx, next) => {
    const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is('application/json'))
      throw new Problem('unsupported-media-type', 'send the body as application/json');
    await parse(ctx, next);
  };
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 ? 'denied' : 'failure';
}

/** Every call in the audit trail, with who made it, after the boundary set its status. */
function auditCalls(deps: ApiDeps): ApiMiddleware {
  return async (ctx: ApiContext, next) => {
    try {
      await next();
    } finally {
      const p = ctx.state.principal;
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      await deps.audit.record({
        event: 'api.called',
        outcome: outcomeOf(ctx.status),
        ...(p?.kind === 'person' ? { sub: p.sub, username: p.username } : {}),
        clientId: p !== undefined && p.kind !== 'cluster' ? p.clientId : undefined,
        ip: ctx.ip,
        reason: ctx.status >= 400 ? `http_${ctx.status}` : undefined,
        details: {
          ...(p === undefined ? {} : { actor: actorOf(p) }),
          method: ctx.method,
          route: typeof route === 'string' ? route : ctx.path.slice(0, 200),
          status: ctx.status,
        },
      });
    }
  };
}

/**
 * The admin HTTP API at `<issuer path>/api/v1`: mounted before oidc-provider. One error
 * boundary (RFC 9457 problems), one authentication middleware, one audit line per call, then
 * one router with a file per resource. Anything else under the prefix is a `not-found` problem.
 */
export function createApi(deps: ApiDeps): Middleware<SigilState> {
  const base = apiBase(deps.issuer);
  const document = JSON.stringify(openApiDocument(`${deps.issuer}${API_PREFIX}`));
  const router = new Router<ApiState>({ prefix: base });
  router.use(authenticate(deps));
  router.use(jsonBody(deps.maxBodyBytes));
  for (const resource of RESOURCES) resource(router, deps);
  const routes = router.routes() as unknown as ApiMiddleware;
  const methods = router.allowedMethods({ throw: true }) as unknown as ApiMiddleware;
  const boundary = problemBoundary();
  const audited = auditCalls(deps);
  return async (ctx, next) => {
    if (ctx.path !== base && !ctx.path.startsWith(`${base}/`)) {
      await next();
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    if (ctx.path === `${base}/openapi.json` && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.type = 'json';
      ctx.body = document;
      return;
    }
    const api = ctx as ApiContext;
    await audited(api, async () => {
      await boundary(ctx, async () => {
        await routes(api, async () => {
          await methods(api, async () => {});
        });
      });
    });
  };
}
