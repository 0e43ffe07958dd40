import type { Middleware, ParameterizedContext } from 'koa';
import { AppError } from '../errors.js';
import type { SigilState } from './context.js';
import type { Views } from './views.js';

interface HttpishError {
  status?: unknown;
  expose?: unknown;
  message?: unknown;
  code?: unknown;
  /** oidc-provider's errors carry their OAuth error code here. */
  error?: unknown;
}

function wantsHtml(ctx: ParameterizedContext): boolean {
  return ctx.accepts('html', 'json') === 'html';
}

/** An error as a page for people, or `{error, error_description}` for programs (by Accept). */
export function renderErrorPage(
  ctx: ParameterizedContext,
  views: Views,
  status: number,
  heading: string,
  message: string,
  code?: string,
): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  if (wantsHtml(ctx)) {
    ctx.type = 'html';
    ctx.body = views.page('error', heading, { heading, message, code });
  } else {
    ctx.body = {
      error: code ?? (status >= 500 ? 'server_error' : 'invalid_request'),
      error_description: message,
    };
  }
}

/**
 * The last line of defence for sigil's own routes (the provider answers its own errors):
 * an exposed error (4xx) shows its message, anything else is logged with its stack and
 * answered with a generic page. Never a stack trace to the client.
 */
export function errorHandler(views: Views): Middleware<SigilState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (raw) {
      const err = (raw ?? {}) as HttpishError;
      const status =
        typeof err.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
      const expose = err.expose === true && status < 500;
      const code =
        raw instanceof AppError ? raw.code : typeof err.error === 'string' ? err.error : undefined;
      // A dependency outage is expected operation (the storage layer has already said which):
      // a warning; anything else is a bug.
      if (status === 503) ctx.state.log.warn({ err: raw }, 'request failed: service unavailable');
      else if (status >= 500) ctx.state.log.error({ err: raw }, 'request failed');
      if (status === 503) {
        renderErrorPage(
          ctx,
          views,
          503,
          'Temporarily unavailable',
          'A service sigil depends on is unavailable. Try again in a moment.',
          code,
        );
        return;
      }
      const message =
        expose && typeof err.message === 'string'
          ? err.message
          : status >= 500
            ? 'Something went wrong on our side.'
            : 'The request could not be understood.';
      renderErrorPage(
        ctx,
        views,
        status,
        status >= 500 ? 'Something went wrong' : 'Bad request',
        message,
        code,
      );
    }
  };
}
