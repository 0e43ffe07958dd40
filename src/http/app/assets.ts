import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import { paths, type Asset } from '../shared/index.js';
import { isRead } from './read-of.js';

/**
 * sigil's few static files, served from memory: the stylesheet (with the configured colour)
 * and the configured logo. Nothing is loaded from elsewhere. The logo gets a CSP of its own
 * so that an SVG opened directly cannot run anything.
 */
export function assets(opts: {
  css: string;
  logo?: Asset | undefined;
  /** More files by path (the second-factor pages' scripts). */
  scripts?: ReadonlyMap<string, Asset> | undefined;
}): Middleware {
  const files = new Map<string, Asset>([
    [paths.stylesheet, { body: Buffer.from(opts.css, 'utf8'), type: 'text/css; charset=utf-8' }],
    ...(opts.scripts ?? new Map<string, Asset>()),
  ]);
  if (opts.logo !== undefined) files.set(paths.logo, opts.logo);
  const etags = new Map(
    [...files].map(([path, f]) => [
      path,
      `"${createHash('sha256').update(f.body).digest('base64url').slice(0, 22)}"`,
    ]),
  );
  return async (ctx, next) => {
    const file = files.get(ctx.path);
    if (file === undefined || !isRead(ctx)) {
      await next();
      return;
    }
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', etags.get(ctx.path) ?? '');
    if (ctx.path === paths.logo)
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
