import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { Logger } from '../log.js';
import { sendWrites, type Queryable, type RequestMemo } from '../storage/index.js';
import { oauthError } from './adapter.js';
import { isMachineRoute } from './configuration.js';
import type { ProviderPages } from './pages.js';

export interface WriteBehindDeps {
  readonly db: Queryable;
  /** The memo the adapter's stores share (the request's writes are held back in it). */
  readonly memo: RequestMemo;
  readonly pages: ProviderPages;
  readonly log: Logger;
}

/**
 * oidc-provider's writes of one request, sent as one statement just before its answer leaves
 * (storage/write-behind.ts): the resume's interaction destroy, session, grant and code; the
 * code exchange's consume and two tokens; a refresh's consume and two tokens. No answer goes
 * out before its writes are stored: the provider writes the response only after its
 * middleware returns, and this one, the innermost of sigil's, returns after the statement. A
 * read of the same request sends what is pending before it (storage/payload-store.ts).
 *
 * If the statement fails, nothing of it is stored, and the answer is replaced by the error
 * the write would have raised in the provider (503 temporarily_unavailable for an outage),
 * without the redirect or cookies of the answer that was not given: the person or client
 * retries from the same state (the code, the refresh token, the interaction are unchanged).
 */
export function sendWritesBeforeAnswer(provider: Provider, deps: WriteBehindDeps): void {
  provider.use(async (raw, next) => {
    if (!deps.memo.deferWrites()) {
      await next();
      return;
    }
    try {
      await next();
    } catch (err) {
      // An error oidc-provider did not answer itself (Koa answers 500): what the request
      // wrote before it is stored as it was before writes were held back.
      await sendWrites(deps.db, deps.memo.endDeferral()).catch((e: unknown) => {
        deps.log.warn({ err: e, op: 'write' }, 'storage operation failed');
      });
      throw err;
    }
    try {
      await sendWrites(deps.db, deps.memo.endDeferral());
    } catch (err) {
      deps.log.warn({ err, op: 'write' }, 'storage operation failed');
      await answerWithError(raw as KoaContextWithOIDC, oauthError(err), deps.pages);
    }
  });
}

/** The answer oidc-provider gives for `err` thrown in a route, instead of the one prepared. */
async function answerWithError(
  ctx: KoaContextWithOIDC,
  err: unknown,
  pages: ProviderPages,
): Promise<void> {
  const known = err instanceof errors.OIDCProviderError;
  const out = known
    ? { error: err.error, error_description: err.error_description }
    : { error: 'server_error', error_description: 'oops! something went wrong' };
  ctx.remove('Location');
  ctx.remove('Set-Cookie');
  ctx.status = known ? err.statusCode : 500;
  if (isMachineRoute((ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.route)) {
    ctx.type = 'json';
    ctx.body = out;
    return;
  }
  await pages.error(ctx, { error: out.error, description: out.error_description });
}
