import type { InteractionDeps, InteractionMiddleware } from './context.js';
import { finishInteraction } from './finish.js';

/** POST of the consent form's Deny (or any abort): the client gets access_denied. */
export function abortInteraction(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx) => {
    await finishInteraction(
      ctx,
      deps.provider(),
      { error: 'access_denied', error_description: 'The user denied the request.' },
      false,
    );
  };
}
