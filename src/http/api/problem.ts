import type { Context, Middleware } from 'koa';
import { ZodError } from 'zod';
import { isAppError } from '../../errors.js';
import type { SigilState } from '../shared/index.js';

/**
 * RFC 9457 problem details, the only error shape of `/api/v1`:
 * `{type: "urn:sigil:problem:<slug>", title, status, detail}` as `application/problem+json`.
 * The slugs are stable (docs/api.md lists them); `detail` is for people and may change.
 */
export const PROBLEMS = {
  'bad-request': { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'A valid bearer token is required' },
  forbidden: { status: 403, title: 'Not allowed' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The resource is not in a state that allows this' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body must be JSON' },
  unavailable: { status: 503, title: 'A service sigil depends on is unavailable' },
  internal: { status: 500, title: 'Something went wrong on our side' },
} as const;

export type ProblemSlug = keyof typeof PROBLEMS;

export const PROBLEM_TYPE_PREFIX = 'urn:sigil:problem:';

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** Extension member: the machine-readable reason of a refusal (elevations: `not_eligible`, …). */
  readonly reason?: string;
}

/** A refusal the API answers with a problem document (thrown by handlers and guards). */
export class Problem extends Error {
  readonly slug: ProblemSlug;
  readonly detail: string | undefined;
  constructor(slug: ProblemSlug, detail?: string) {
    super(detail ?? PROBLEMS[slug].title);
    this.name = 'Problem';
    this.slug = slug;
    this.detail = detail;
  }
}

export function problemDocument(
  slug: ProblemSlug,
  detail?: string,
  reason?: string,
): ProblemDocument {
  const { status, title } = PROBLEMS[slug];
  return {
    type: `${PROBLEM_TYPE_PREFIX}${slug}`,
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(reason === undefined ? {} : { reason }),
  };
}

/** Writes a problem document as the answer. */
export function sendProblem(
  ctx: Context,
  slug: ProblemSlug,
  detail?: string,
  reason?: string,
): void {
  const doc = problemDocument(slug, detail, reason);
  ctx.status = doc.status;
  ctx.type = 'application/problem+json';
  ctx.body = doc;
  if (slug === 'unauthenticated' && ctx.response.headers['www-authenticate'] === undefined)
    ctx.set('WWW-Authenticate', 'Bearer realm="sigil"');
}

const STATUS_SLUGS: ReadonlyMap<number, ProblemSlug> = new Map(
  Object.entries(PROBLEMS).map(([slug, p]) => [p.status as number, slug as ProblemSlug]),
);

/** A zod failure as one line: `field: message; other: message`. */
export function zodDetail(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length === 0 ? '(body)' : i.path.join('.')}: ${i.message}`)
    .join('; ');
}

/** Which problem an error thrown below the API becomes. */
function problemOf(err: unknown): { slug: ProblemSlug; detail?: string; reason?: string } {
  if (err instanceof Problem)
    return err.detail === undefined ? { slug: err.slug } : { slug: err.slug, detail: err.detail };
  if (err instanceof ZodError) return { slug: 'bad-request', detail: zodDetail(err) };
  if (isAppError(err, 'DB_UNAVAILABLE')) return { slug: 'unavailable' };
  if (isAppError(err, 'ELEVATION_REFUSED')) {
    const reason = (err as { reason?: unknown }).reason;
    return {
      slug: STATUS_SLUGS.get(err.status) ?? 'bad-request',
      detail: err.message,
      ...(typeof reason === 'string' ? { reason } : {}),
    };
  }
  const e = err as { status?: unknown; expose?: unknown; message?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : 500;
  if (status >= 400 && status < 500) {
    const slug = STATUS_SLUGS.get(status) ?? 'bad-request';
    // Exposed 4xx messages (body parser, AppError) are written for clients; others are not.
    return e?.expose === true && typeof e.message === 'string'
      ? { slug, detail: e.message }
      : { slug };
  }
  return { slug: status === 503 ? 'unavailable' : 'internal' };
}

/**
 * The API's error boundary: whatever a handler throws becomes a problem document; a 5xx is
 * logged with its stack, never shown. A route nobody answers is a `not-found` problem.
 */
export function problemBoundary(): Middleware<SigilState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) sendProblem(ctx, 'not-found');
    } catch (err) {
      const p = problemOf(err);
      const status = PROBLEMS[p.slug].status;
      if (status >= 500) ctx.state.log.error({ err }, 'api request failed');
      sendProblem(ctx, p.slug, p.detail, p.reason);
    }
  };
}
