import type { Provider } from '../../oidc/index.js';
import type { InteractionContext } from './context.js';

type Result = Parameters<Provider['interactionFinished']>[2];

/**
 * Ends the interaction with `result`: oidc-provider answers on the raw response itself (a
 * redirect back to its authorization endpoint), so Koa must not.
 */
export async function finishInteraction(
  ctx: InteractionContext,
  provider: Provider,
  result: Result,
  mergeWithLastSubmission: boolean,
): Promise<void> {
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission });
}
