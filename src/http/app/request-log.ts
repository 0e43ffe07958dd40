import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { stripQuery, type Logger } from '../../log.js';
import type { SigilState } from '../shared/index.js';

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives every request an id (a sane incoming X-Request-Id is kept) and a child logger, and
 * logs one line when it ends: method, path without the query string (it can carry codes),
 * status, duration. Never headers, never bodies.
 */
export function requestLog(log: Logger): Middleware<SigilState> {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const reqId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.reqId = reqId;
    ctx.state.log = log.child({ reqId });
    ctx.set('X-Request-Id', reqId);
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      ctx.state.log.info(
        {
          req: { method: ctx.method, url: stripQuery(ctx.originalUrl), remoteAddress: ctx.ip },
          status,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    }
  };
}
