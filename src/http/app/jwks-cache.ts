import type { Middleware } from 'koa';

/**
 * Cache-Control for the JWKS (oidc-provider sends none). A verifier may cache the key set
 * for `maxAgeSec`, which is never more than the key lead time: a new key is published at
 * least that long before it signs, so a cache that honours the header always knows the key
 * of any token it is shown. Installed inside the provider (`provider.use`), where
 * `ctx.oidc.route` names the endpoint after it answered.
 */
export function jwksCacheControl(maxAgeSec: number): Middleware {
  const value = maxAgeSec > 0 ? `public, max-age=${Math.floor(maxAgeSec)}` : 'no-cache, max-age=0';
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: { route?: string } }).oidc;
    if (oidc?.route === 'jwks' && ctx.status === 200) ctx.set('Cache-Control', value);
  };
}
