import helmet from 'koa-helmet';
import type { Middleware } from 'koa';

/**
 * Security headers for every answer, the provider's included. The CSP allows only sigil's own
 * origin: no inline script, no external fonts or CDNs. `form-action` is left out on purpose,
 * as oidc-provider's example does: after a login form is posted, the browser follows redirects
 * to the client's redirect_uri (any loopback port for kubelogin), and Chromium applies
 * form-action to those redirects.
 */
export function securityHeaders(opts: { hsts: boolean }): Middleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'none'"],
        'frame-ancestors': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
      },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: opts.hsts ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
}

/** Refuses bodies larger than `limit` before anything reads them. */
export function bodyLimit(limit: number): Middleware {
  return async (ctx, next) => {
    const length = Number(ctx.get('content-length') || '0');
    if (Number.isFinite(length) && length > limit) {
      ctx.status = 413;
      ctx.set('Connection', 'close');
      ctx.body = {
        error: 'invalid_request',
        error_description: `request body larger than ${limit} bytes`,
      };
      return;
    }
    await next();
  };
}
