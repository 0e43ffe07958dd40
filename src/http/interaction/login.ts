import { AppError, isAppError } from '../../errors.js';
import { scopesFrom } from '../../oidc/index.js';
import type { GuardedLoginResult } from '../../security/index.js';
import {
  clientName,
  formField,
  requestParam,
  type Connector,
  type InteractionContext,
  type InteractionDeps,
  type InteractionMiddleware,
} from './context.js';
import { chosenConnector, renderLoginForm } from './login-page.js';
import { secondFactorStep } from './mfa.js';

/** The one message for every failed login: no user enumeration. */
export const LOGIN_FAILED = 'Invalid username or password.';

/** The guarded password check for the posted form; undefined when the directory is down. */
async function authenticate(
  deps: InteractionDeps,
  ctx: InteractionContext,
  connector: Connector,
  username: string,
): Promise<GuardedLoginResult | undefined> {
  const { interaction } = ctx.state;
  try {
    return await deps.login({
      connectorId: connector.id,
      username,
      password: formField(ctx.request.body, 'password') ?? '',
      scopes: scopesFrom(requestParam(interaction, 'scope'), false),
      clientId: requestParam(interaction, 'client_id'),
      ip: ctx.ip,
      // oidc-provider marks the interaction of a device flow (its value is a credential: unused).
      channel:
        (interaction as { deviceCode?: unknown }).deviceCode === undefined
          ? 'login_page'
          : 'device',
    });
  } catch (err) {
    if (!isAppError(err, 'CONNECTOR_UNAVAILABLE')) throw err;
    ctx.state.log.warn(
      { event: 'login.unavailable', connector: connector.id, err },
      'login failed: directory unreachable',
    );
    return undefined;
  }
}

/**
 * Right password, but this client's policy refuses the user: the client gets access_denied
 * with the reason, and the person a page that says so.
 */
async function renderAccessDenied(
  deps: InteractionDeps,
  ctx: InteractionContext,
  username: string,
  description: string,
): Promise<void> {
  const provider = deps.provider();
  const returnTo = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { error: 'access_denied', error_description: description },
    { mergeWithLastSubmission: false },
  );
  ctx.status = 403;
  ctx.type = 'html';
  ctx.body = deps.views.page('access-denied', 'Access denied', {
    username: username.slice(0, 256),
    description,
    clientName: await clientName(provider, ctx.state.interaction),
    returnTo,
  });
}

/** POST of the login form: finishes the login prompt, or shows the form again with why not. */
export function submitLogin(deps: InteractionDeps): InteractionMiddleware {
  return async (ctx) => {
    const body = ctx.request.body;
    const connector = chosenConnector(deps, ctx, formField(body, 'connector'));
    if (connector === undefined)
      throw new AppError('CONNECTOR_NOT_FOUND', 'Choose a sign-in method.');
    const username = (formField(body, 'username') ?? '').trim();
    const result = await authenticate(deps, ctx, connector, username);
    if (result === undefined) {
      await renderLoginForm(deps, ctx, connector, {
        username,
        status: 503,
        error: 'The directory cannot be reached right now. Try again in a moment.',
      });
      return;
    }
    if (!result.ok && result.denied) {
      await renderAccessDenied(deps, ctx, username, result.description);
      return;
    }
    if (!result.ok) {
      // Wrong password, unknown user, locked out or throttled: one answer for all (the audit
      // trail has the reason).
      await renderLoginForm(deps, ctx, connector, {
        username: username.slice(0, 256),
        status: 401,
        error: LOGIN_FAILED,
      });
      return;
    }
    ctx.state.log.info(
      {
        event: 'login.success',
        connector: connector.id,
        sub: result.sub,
        username: result.identity.username,
      },
      'login succeeded',
    );
    const step = await secondFactorStep(deps, ctx, {
      sub: result.sub,
      connectorId: connector.id,
      username: result.identity.username,
      groups: result.identity.groups,
    });
    if (step === 'no_factor')
      await renderAccessDenied(
        deps,
        ctx,
        username,
        'this account needs a second factor and has none set up: ask an administrator to enroll one',
      );
  };
}
