import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderPages } from '../../oidc/index.js';
import { renderErrorPage, type Views } from '../shared/index.js';
import { providerForm } from './provider-form.js';

const ERROR_TEXT: Readonly<Record<string, string>> = {
  invalid_client: 'The application that sent you here is not known to this sign-in service.',
  invalid_redirect_uri: 'The application asked to return to an address it is not allowed to use.',
  invalid_request: 'The sign-in request is malformed.',
  access_denied: 'Access was denied.',
  session_not_found: 'Your sign-in session has expired. Start again from your application.',
};

type PageArgs = Parameters<Views['page']>;

/** Answers with a page of views/ (never cached), for the provider's hooks that await it. */
function send(ctx: KoaContextWithOIDC, views: Views, ...page: PageArgs): Promise<void> {
  const html = views.page(...page);
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = html;
  return Promise.resolve();
}

/** The provider-driven pages (errors, logout, the device flow), rendered from views/. */
export function providerPages(views: Views): ProviderPages {
  return {
    error(ctx, e) {
      const message = ERROR_TEXT[e.error] ?? e.description ?? 'The request could not be completed.';
      const detail =
        e.description !== undefined && ERROR_TEXT[e.error] !== undefined
          ? ` (${e.description})`
          : '';
      return send(ctx, views, 'error', 'Sign-in error', {
        heading: 'Sign-in error',
        message: `${message}${detail}`,
        code: e.error,
      });
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
    logout: (ctx, form) => send(ctx, views, 'logout', 'Sign out', { form }),
    logoutSuccess: (ctx) => send(ctx, views, 'logout-success', 'Signed out', {}),
    deviceInput: (ctx, form, opts) =>
      send(ctx, views, 'device-input', 'Sign in a device', {
        ...providerForm(form),
        error: opts.error,
        userCode: opts.userCode ?? '',
      }),
    deviceConfirm: (ctx, form, opts) =>
      send(ctx, views, 'device-confirm', 'Confirm the device', {
        ...providerForm(form),
        clientName: opts.clientName,
        userCode: opts.userCode,
      }),
    deviceSuccess: (ctx) => send(ctx, views, 'device-success', 'Device signed in', {}),
  };
}
