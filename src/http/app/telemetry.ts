import Koa from 'koa';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics/index.js';
import { paths } from '../shared/index.js';
import { health, type ReadinessCheck } from './health.js';
import { sendMetrics } from './http-metrics.js';
import { isReadOf } from './read-of.js';

/**
 * The telemetry listener (config `telemetry.http`, Dex's name): /metrics, /healthz and
 * /readyz only, for Prometheus and the kubelet. Nothing else answers here.
 */
export function createTelemetryApp(deps: {
  metrics: Metrics;
  readiness: readonly ReadinessCheck[];
  log: Logger;
}): Koa {
  const app = new Koa();
  app.silent = true;
  app.on('error', (err: unknown) => {
    deps.log.error({ err }, 'telemetry listener error');
  });
  app.use(health(deps.readiness));
  app.use(async (ctx) => {
    if (isReadOf(ctx, paths.metrics)) {
      await sendMetrics(ctx, deps.metrics);
      return;
    }
    ctx.status = 404;
    ctx.body = { error: 'not_found' };
  });
  return app;
}
