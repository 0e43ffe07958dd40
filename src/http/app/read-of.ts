import type { ParameterizedContext } from 'koa';

type Request = Pick<ParameterizedContext, 'method' | 'path'>;

/** A GET or HEAD: a request that only reads. */
export function isRead(ctx: Request): boolean {
  return ctx.method === 'GET' || ctx.method === 'HEAD';
}

/** A GET or HEAD of exactly `path`. */
export function isReadOf(ctx: Request, path: string): boolean {
  return ctx.path === path && isRead(ctx);
}
