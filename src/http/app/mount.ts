import type { Middleware } from 'koa';
import { renderErrorPage, type SigilState, type Views } from '../shared/index.js';

/**
 * Serves everything after it under the issuer's path (`/dex` of https://host/dex), like Koa's
 * mount: a request for `/dex/auth` goes on as `/auth`, so sigil's routers and oidc-provider
 * match the same paths as at the root. oidc-provider learns the mount point from
 * `req.originalUrl` (it builds its URLs from it: discovery, redirects to interactions, cookie
 * paths), which is set here. A request outside the path gets a 404 page and never reaches the
 * provider. Health and metrics are answered before this, at the root.
 */
export function issuerMount(base: string, views: Views): Middleware<SigilState> {
  if (base === '') return (_ctx, next) => next();
  return async (ctx, next) => {
    const path = ctx.path;
    if (path !== base && !path.startsWith(`${base}/`)) {
      renderErrorPage(
        ctx,
        views,
        404,
        'Not found',
        `Nothing is served at this address; sigil is at ${base}/.`,
        'not_found',
      );
      return;
    }
    (ctx.req as { originalUrl?: string }).originalUrl = ctx.originalUrl;
    ctx.path = path.slice(base.length) || '/';
    await next();
  };
}
