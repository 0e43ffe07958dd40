import type { Middleware } from 'koa';
import { AppError } from '../../errors.js';
import { renderErrorPage, type SigilState, type Views } from '../shared/index.js';

interface HttpishError {
  status?: unknown;
  expose?: unknown;
  message?: unknown;
  code?: unknown;
  /** oidc-provider's errors carry their OAuth error code here. */
  error?: unknown;
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
