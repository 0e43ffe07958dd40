import type { ParameterizedContext } from 'koa';
import type { Views } from './views.js';

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
