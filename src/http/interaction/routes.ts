import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import { AppError } from '../../errors.js';
import { interactionPath } from '../shared/index.js';
import { abortInteraction } from './abort.js';
import { confirmConsent, showConsent } from './consent.js';
import type { InteractionDeps, InteractionMiddleware, InteractionState } from './context.js';
import { submitLogin } from './login.js';
import { showLogin } from './login-page.js';
import { loadInteraction, requireCsrf } from './middleware.js';
import { submitDone, submitEnroll, submitMfa } from './mfa.js';

/** GET of an interaction: the page of the prompt it is at. */
function showInteraction(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx) => {
    const prompt = ctx.state.interaction.prompt.name;
    if (prompt === 'login') await showLogin(deps, ctx);
    else if (prompt === 'consent') await showConsent(deps, ctx);
    else throw new AppError('BAD_REQUEST', `unsupported prompt ${prompt}`);
  };
}

/**
 * The login, connector-choice and consent pages that oidc-provider sends people to
 * (`interactions.url`). Every route first loads the interaction bound to the browser's cookie
 * (the one in the URL, at the expected prompt); the form posts then check their CSRF token.
 */
export function interactionRoutes(deps: InteractionDeps): Router<InteractionState> {
  const router = new Router<InteractionState>();
  const form: InteractionMiddleware = bodyParser({
    enableTypes: ['form'],
    formLimit: `${deps.maxBodyBytes}b`,
    encoding: 'utf-8',
  });
  const csrf = requireCsrf(deps);

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.get(interactionPath(':uid'), loadInteraction(deps), showInteraction(deps));
  router.post(
    interactionPath(':uid', 'login'),
    form,
    loadInteraction(deps, 'login'),
    csrf,
    submitLogin(deps),
  );
  for (const [step, handler] of [
    ['mfa', submitMfa],
    ['mfa-enroll', submitEnroll],
    ['mfa-done', submitDone],
  ] as const) {
    router.post(
      interactionPath(':uid', step),
      form,
      loadInteraction(deps, 'login'),
      csrf,
      handler(deps),
    );
  }
  router.post(
    interactionPath(':uid', 'confirm'),
    form,
    loadInteraction(deps, 'consent'),
    csrf,
    confirmConsent(deps),
  );
  router.post(
    interactionPath(':uid', 'abort'),
    form,
    loadInteraction(deps),
    csrf,
    abortInteraction(deps),
  );
  return router;
}
