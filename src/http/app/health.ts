import type { Middleware } from 'koa';
import { paths } from '../shared/index.js';
import { isReadOf } from './read-of.js';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when healthy, rejects (or times out) when not. */
  check(timeoutMs: number): Promise<void>;
}

const TIMEOUT_MS = 2000;

async function run(check: ReadinessCheck): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(TIMEOUT_MS),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('timeout'));
        }, TIMEOUT_MS);
      }),
    ]);
    return [check.name, 'ok'];
  } catch (err) {
    return [check.name, err instanceof Error ? err.message.slice(0, 200) : 'failed'];
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once: ready when all answer. */
export async function readiness(
  checks: readonly ReadinessCheck[],
): Promise<{ ready: boolean; body: { status: string; checks: Record<string, string> } }> {
  const results = Object.fromEntries(await Promise.all(checks.map(run)));
  const ready = Object.values(results).every((v) => v === 'ok');
  return { ready, body: { status: ready ? 'ready' : 'not ready', checks: results } };
}

/** /healthz: the process answers. /readyz: every dependency answers within a short timeout. */
export function health(checks: readonly ReadinessCheck[]): Middleware {
  return async (ctx, next) => {
    if (isReadOf(ctx, paths.healthz)) {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (isReadOf(ctx, paths.readyz)) {
      const r = await readiness(checks);
      ctx.set('Cache-Control', 'no-store');
      ctx.status = r.ready ? 200 : 503;
      ctx.body = r.body;
      return;
    }
    await next();
  };
}
