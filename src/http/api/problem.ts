import type { ParameterizedContext } from 'koa';

/**
 * RFC 9457 problem details (`application/problem+json`) for every /api/v1 answer that is not
 * a success: `{type: "urn:sigil:problem:<slug>", title, status, detail}`. The slugs are
 * stable (docs/api.md lists them).
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
}

export function sendProblem(
  ctx: Pick<ParameterizedContext, 'status' | 'body' | 'type' | 'set'>,
  status: number,
  slug: string,
  title: string,
  detail?: string,
): void {
  const body: Problem = {
    type: `urn:sigil:problem:${slug}`,
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
  };
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}
