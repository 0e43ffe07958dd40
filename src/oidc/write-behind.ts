import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider';
import type { Logger } from '../log.js';
import { storeHeldWrites, type Queryable, type RequestMemo } from '../storage/index.js';
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
 *
 * The provider's events that tell something was done (`grant.success`, `*.saved`, …: the
 * audit trail and the metrics listen to them) are held until the writes are stored; if they
 * fail, the route's error event is emitted instead, as when a write failed in the provider.
 */
export function sendWritesBeforeAnswer(provider: Provider, deps: WriteBehindDeps): void {
  holdDoneEvents(provider, deps.memo);
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
      await store(deps, raw as KoaContextWithOIDC).catch(() => undefined);
      throw err;
    }
    const failed = await store(deps, raw as KoaContextWithOIDC);
    if (failed !== undefined) await answerWithError(raw as KoaContextWithOIDC, failed, deps.pages);
  });
}

/** Sends the held-back writes, then what waited for them; the error when they failed. */
async function store(deps: WriteBehindDeps, ctx: KoaContextWithOIDC): Promise<unknown> {
  try {
    await storeHeldWrites(deps.db, deps.memo, deps.memo.endDeferral());
  } catch (err) {
    deps.log.warn({ err, op: 'write' }, 'storage operation failed');
    const failed = oauthError(err);
    const known = failed instanceof errors.OIDCProviderError && failed.error !== 'server_error';
    const route = (ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.route;
    if (route !== undefined)
      provider(ctx).emit(known ? errorEvent(route) : 'server_error', ctx, failed);
    return failed;
  }
  return undefined;
}

const provider = (ctx: KoaContextWithOIDC) => ctx.oidc.provider as unknown as NodeJS.EventEmitter;

/** The event oidc-provider's error handler emits for a failure on `route`. */
function errorEvent(route: string): string {
  if (route === 'token') return 'grant.error';
  if (route === 'authorization' || route === 'resume') return 'authorization.error';
  return `${route}.error`;
}

/** Events that report something done or stored: they wait for the request's writes. */
const DONE = /\.(success|saved|consumed|destroyed)$/;

function holdDoneEvents(p: Provider, memo: RequestMemo): void {
  const emitter = p as unknown as NodeJS.EventEmitter;
  const emit = emitter.emit.bind(emitter);
  emitter.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    if (
      typeof event === 'string' &&
      DONE.test(event) &&
      memo.holdUntilStored(() => emit(event, ...args))
    )
      return emitter.listenerCount(event) > 0;
    return emit(event, ...args);
  };
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
