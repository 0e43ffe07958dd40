import type { JWK } from 'jose';
import type { Middleware } from 'koa';

/**
 * The JWKS as sigil serves it, around oidc-provider's answer (installed inside the provider,
 * `provider.use`, where `ctx.oidc.route` names the endpoint after it answered):
 *
 * - Cache-Control (oidc-provider sends none). A verifier may cache the key set for
 *   `maxAgeSec`, which is never more than the key lead time: a new key is published at least
 *   that long before it signs, so a cache that honours the header always knows the key of any
 *   token it is shown.
 * - `extraKeys` appended: public keys with no private half (Dex's older verification keys,
 *   imported by `sigil import dex`). oidc-provider takes only private keys in its `jwks`, so
 *   sigil publishes them itself, after the provider's own keys.
 */
export function jwksCacheControl(maxAgeSec: number, extraKeys: readonly JWK[] = []): Middleware {
  const value = maxAgeSec > 0 ? `public, max-age=${Math.floor(maxAgeSec)}` : 'no-cache, max-age=0';
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: { route?: string } }).oidc;
    if (oidc?.route !== 'jwks' || ctx.status !== 200) return;
    ctx.set('Cache-Control', value);
    const body = ctx.body as { keys?: unknown } | null | undefined;
    if (extraKeys.length > 0 && Array.isArray(body?.keys)) {
      const served = new Set(body.keys.map((k) => (k as { kid?: unknown }).kid));
      const extra = extraKeys.filter((k) => !served.has(k.kid));
      // A new object: the provider's own key list is shared between requests.
      ctx.body = { keys: [...(body.keys as unknown[]), ...extra] };
    }
  };
}
