import type { Middleware, ParameterizedContext } from 'koa';
import { methodLabel, routeLabel, type Metrics, type RequestScopes } from '../../metrics/index.js';
import { paths } from '../shared/index.js';
import { isReadOf } from './read-of.js';

/** Answers GET /metrics in the Prometheus text format. */
export async function sendMetrics(ctx: ParameterizedContext, metrics: Metrics): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  ctx.type = metrics.contentType;
  ctx.body = await metrics.render();
}

/**
 * Times every request into `sigil_http_request_duration_seconds{route,method,status}` (route
 * is a pattern, never a raw path) and runs it in its own metrics scope. With `serve`, it also
 * answers GET /metrics (when no separate telemetry listener is configured).
 */
export function httpMetrics(metrics: Metrics, scopes: RequestScopes, serve: boolean): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    let failed = false;
    try {
      if (serve && isReadOf(ctx, paths.metrics)) await sendMetrics(ctx, metrics);
      else await scopes.run(next);
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = failed ? 500 : ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      metrics.httpRequest(routeLabel(ctx.path, matched), methodLabel(ctx.method), status, seconds);
    }
  };
}
