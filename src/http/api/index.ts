import type { Middleware } from 'koa';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { clusterApi, type ClusterApiDeps } from './clusters.js';
import { openApiDocument } from './openapi/index.js';
import { sendProblem } from './problem.js';

export {
  CLUSTER_CONFIG_API_VERSION,
  CLUSTER_CONFIG_KIND,
  type ClusterApiDeps,
  type ClusterAuthenticationConfig,
  type WireEntry,
} from './clusters.js';
export { openApiDocument } from './openapi/index.js';
export { sendProblem, type Problem } from './problem.js';

export interface ApiDeps {
  readonly clusters: ClusterApiDeps;
  readonly version: string;
}

/**
 * /api/v1, mounted before oidc-provider: the resources, the OpenAPI document, and a 404
 * problem for any other path under /api/v1.
 */
export function apiRoutes(deps: ApiDeps): Middleware {
  const clusters = clusterApi(deps.clusters);
  return async (ctx, next) => {
    if (ctx.path !== '/api/v1' && !ctx.path.startsWith('/api/v1/')) {
      await next();
      return;
    }
    if (ctx.path === '/api/v1/openapi.json' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.body = openApiDocument(deps.version);
      return;
    }
    try {
      await clusters(ctx, async () => {
        sendProblem(ctx, 404, 'not-found', 'Not found', 'no such API resource');
      });
    } catch (err) {
      // Never an HTML page or a stack trace: a problem, the cause in the log.
      const status = err instanceof AppError ? err.status : 500;
      const log = (ctx.state as { log?: Logger }).log;
      if (status >= 500) log?.warn({ err }, 'api request failed');
      if (status === 503)
        sendProblem(ctx, 503, 'unavailable', 'Temporarily unavailable', 'try again in a moment');
      else if (status >= 500)
        sendProblem(ctx, 500, 'internal', 'Something went wrong', 'the error is in the log');
      else sendProblem(ctx, status, 'bad-request', 'Bad request', (err as Error).message);
    }
  };
}
