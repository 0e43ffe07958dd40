import { errors } from '../../oidc/index.js';
import { renderErrorPage } from '../shared/index.js';
import {
  formField,
  type InteractionContext,
  type InteractionDeps,
  type InteractionMiddleware,
  type Interaction,
} from './context.js';

interface Refusal {
  readonly status: number;
  readonly heading: string;
  readonly message: string;
  readonly code: string;
}

/** The pages of an interaction request that cannot go on: all of them tell people to restart. */
const REFUSALS = {
  expired: {
    status: 400,
    heading: 'Sign-in expired',
    message:
      'This sign-in request has expired or was started in another browser. Start again from your application.',
    code: 'session_not_found',
  },
  otherInteraction: {
    status: 400,
    heading: 'Sign-in expired',
    message: 'This page belongs to an older sign-in request. Start again from your application.',
    code: 'interaction_mismatch',
  },
  wrongPrompt: {
    status: 400,
    heading: 'Unexpected step',
    message: 'This step of the sign-in is already done. Start again from your application.',
    code: 'unexpected_prompt',
  },
  csrf: {
    status: 403,
    heading: 'Form expired',
    message: 'The form could not be verified. Go back, reload the page and try again.',
    code: 'csrf',
  },
} as const satisfies Record<string, Refusal>;

function refuse(ctx: InteractionContext, deps: InteractionDeps, r: Refusal): void {
  renderErrorPage(ctx, deps.views, r.status, r.heading, r.message, r.code);
}

/** The interaction bound to the browser's cookie, or undefined when there is none (expired). */
async function details(
  deps: InteractionDeps,
  ctx: InteractionContext,
): Promise<Interaction | undefined> {
  try {
    return await deps.provider().interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) return undefined;
    throw err;
  }
}

/**
 * Reads the interaction bound to the browser's cookie, checks that it is the one in the URL
 * (and, given `prompt`, at that prompt), and puts it on `ctx.state.interaction`; otherwise
 * answers with a page that says to start again.
 */
export function loadInteraction(
  deps: InteractionDeps,
  prompt?: 'login' | 'consent',
): InteractionMiddleware {
  return async (ctx, next) => {
    const interaction = await details(deps, ctx);
    if (interaction === undefined) {
      refuse(ctx, deps, REFUSALS.expired);
      return;
    }
    if (interaction.uid !== ctx.params['uid']) {
      refuse(ctx, deps, REFUSALS.otherInteraction);
      return;
    }
    if (prompt !== undefined && interaction.prompt.name !== prompt) {
      refuse(ctx, deps, REFUSALS.wrongPrompt);
      return;
    }
    ctx.state.interaction = interaction;
    await next();
  };
}

/** Refuses a form post whose `csrf` field is not the token of the loaded interaction. */
export function requireCsrf(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx, next) => {
    if (!deps.csrf.verify(ctx.state.interaction.uid, formField(ctx.request.body, 'csrf'))) {
      refuse(ctx, deps, REFUSALS.csrf);
      return;
    }
    await next();
  };
}
