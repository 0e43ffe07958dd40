import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderPages } from '../../oidc/index.js';
import { renderErrorPage, type Views } from '../shared/index.js';

const ERROR_TEXT: Readonly<Record<string, string>> = {
  invalid_client: 'The application that sent you here is not known to this sign-in service.',
  invalid_redirect_uri: 'The application asked to return to an address it is not allowed to use.',
  invalid_request: 'The sign-in request is malformed.',
  access_denied: 'Access was denied.',
  session_not_found: 'Your sign-in session has expired. Start again from your application.',
};

function send(ctx: KoaContextWithOIDC, html: string): void {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = html;
}

/**
 * The action URL and xsrf token of a form oidc-provider generated (device flow). sigil renders
 * its own accessible form with them instead of the provider's markup (which relies on inline
 * script that the CSP forbids).
 */
export function providerForm(form: string): { action: string; xsrf: string } {
  const action = /action="([^"]+)"/.exec(form)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (action === undefined || xsrf === undefined)
    throw new Error('unexpected oidc-provider form markup');
  return { action: unescapeHtml(action), xsrf: unescapeHtml(xsrf) };
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The provider-driven pages, rendered from views/. */
export function providerPages(views: Views): ProviderPages {
  return {
    error(ctx, e) {
      const message = ERROR_TEXT[e.error] ?? e.description ?? 'The request could not be completed.';
      const detail =
        e.description !== undefined && ERROR_TEXT[e.error] !== undefined
          ? ` (${e.description})`
          : '';
      send(
        ctx,
        views.page('error', 'Sign-in error', {
          heading: 'Sign-in error',
          message: `${message}${detail}`,
          code: e.error,
        }),
      );
      return Promise.resolve();
    },
    notFound(ctx) {
      renderErrorPage(
        ctx,
        views,
        404,
        'Not found',
        'There is no endpoint at this address.',
        'not_found',
      );
      return Promise.resolve();
    },
    logout(ctx, form) {
      send(ctx, views.page('logout', 'Sign out', { form }));
      return Promise.resolve();
    },
    logoutSuccess(ctx) {
      send(ctx, views.page('logout-success', 'Signed out', {}));
      return Promise.resolve();
    },
    deviceInput(ctx, form, opts) {
      const f = providerForm(form);
      send(
        ctx,
        views.page('device-input', 'Sign in a device', {
          ...f,
          error: opts.error,
          userCode: opts.userCode ?? '',
        }),
      );
      return Promise.resolve();
    },
    deviceConfirm(ctx, form, opts) {
      const f = providerForm(form);
      send(
        ctx,
        views.page('device-confirm', 'Confirm the device', {
          ...f,
          clientName: opts.clientName,
          userCode: opts.userCode,
        }),
      );
      return Promise.resolve();
    },
    deviceSuccess(ctx) {
      send(ctx, views.page('device-success', 'Device signed in', {}));
      return Promise.resolve();
    },
  };
}
