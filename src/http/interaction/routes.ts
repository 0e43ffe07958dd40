import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { PasswordConnector } from '../../connectors/connector.js';
import { AppError, isAppError } from '../../errors.js';
import {
  errors,
  requestedAudiences,
  scopesFrom,
  type AccountService,
  type Provider,
} from '../../oidc/index.js';
import type { GuardedAuthenticate } from '../../security/index.js';
import { renderErrorPage, type SigilState, type Views } from '../shared/index.js';
import type { Csrf } from './csrf.js';

export interface InteractionDeps {
  provider: () => Provider;
  accounts: AccountService;
  /** The password check with throttling, reserved names, client access policy and audit. */
  login: GuardedAuthenticate;
  views: Views;
  csrf: Csrf;
  maxBodyBytes: number;
}

type Ctx = ParameterizedContext<SigilState> & { params: Record<string, string> };
type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The one message for every failed login: no user enumeration. */
export const LOGIN_FAILED = 'Invalid username or password.';

const SCOPE_TEXT: Readonly<Record<string, string>> = {
  openid: 'Your user id',
  profile: 'Your name and username',
  email: 'Your email address',
  groups: 'Your group memberships',
  offline_access: 'Access while you are away (refresh tokens)',
};

/** What the consent page says a scope gives the client. */
function scopeText(scope: string): string {
  const [audience] = requestedAudiences(scope);
  if (audience !== undefined) return `Tokens that ${audience} accepts as well`;
  return SCOPE_TEXT[scope] ?? scope;
}

function field(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The login, connector-choice and consent pages that oidc-provider sends people to
 * (`interactions.url`). Each handler reads the interaction bound to the browser's cookie,
 * checks that it is the one in the URL and in the expected prompt, then finishes it.
 */
export function interactionRoutes(deps: InteractionDeps): Router<SigilState> {
  const { views, csrf, accounts } = deps;
  const router = new Router<SigilState>();
  const form = bodyParser({
    enableTypes: ['form'],
    formLimit: `${deps.maxBodyBytes}b`,
    encoding: 'utf-8',
  });

  async function load(
    ctx: Ctx,
    expectedPrompt?: 'login' | 'consent',
  ): Promise<Interaction | undefined> {
    let details: Interaction;
    try {
      details = await deps.provider().interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        renderErrorPage(
          ctx,
          views,
          400,
          'Sign-in expired',
          'This sign-in request has expired or was started in another browser. Start again from your application.',
          'session_not_found',
        );
        return undefined;
      }
      throw err;
    }
    if (details.uid !== ctx.params['uid']) {
      renderErrorPage(
        ctx,
        views,
        400,
        'Sign-in expired',
        'This page belongs to an older sign-in request. Start again from your application.',
        'interaction_mismatch',
      );
      return undefined;
    }
    if (expectedPrompt !== undefined && details.prompt.name !== expectedPrompt) {
      renderErrorPage(
        ctx,
        views,
        400,
        'Unexpected step',
        'This step of the sign-in is already done. Start again from your application.',
        'unexpected_prompt',
      );
      return undefined;
    }
    return details;
  }

  function checkCsrf(ctx: Ctx, details: Interaction): boolean {
    if (csrf.verify(details.uid, field(ctx.request.body, 'csrf'))) return true;
    renderErrorPage(
      ctx,
      views,
      403,
      'Form expired',
      'The form could not be verified. Go back, reload the page and try again.',
      'csrf',
    );
    return false;
  }

  async function clientName(details: Interaction): Promise<string> {
    const id = details.params['client_id'];
    if (typeof id !== 'string') return 'an application';
    const client = await deps.provider().Client.find(id);
    return client?.clientName ?? id;
  }

  function chosenConnector(
    details: Interaction,
    requested: string | undefined,
  ): PasswordConnector | undefined {
    const list = accounts.connectors;
    if (list.length === 1) return list[0];
    const fromParam = details.params['connector_id'];
    const id = requested ?? (typeof fromParam === 'string' ? fromParam : undefined);
    return id === undefined ? undefined : accounts.connector(id);
  }

  async function renderLogin(
    ctx: Ctx,
    details: Interaction,
    connector: PasswordConnector,
    opts: { error?: string; username?: string; status?: number } = {},
  ) {
    ctx.status = opts.status ?? 200;
    ctx.type = 'html';
    ctx.body = views.page('login', 'Sign in', {
      uid: details.uid,
      csrf: csrf.token(details.uid),
      clientName: await clientName(details),
      connector: {
        id: connector.id,
        name: connector.name,
        usernamePrompt: connector.usernamePrompt,
      },
      otherConnectors: accounts.connectors.length > 1,
      error: opts.error,
      username:
        opts.username ??
        (typeof details.params['login_hint'] === 'string' ? details.params['login_hint'] : ''),
    });
  }

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/interaction/:uid', async (ctx) => {
    const details = await load(ctx);
    if (details === undefined) return;
    if (details.prompt.name === 'login') {
      const requested =
        typeof ctx.query['connector'] === 'string' ? ctx.query['connector'] : undefined;
      const connector = chosenConnector(details, requested);
      if (connector !== undefined) {
        await renderLogin(ctx, details, connector);
        return;
      }
      ctx.type = 'html';
      ctx.body = views.page('connectors', 'Sign in', {
        uid: details.uid,
        clientName: await clientName(details),
        connectors: accounts.connectors.map((c) => ({ id: c.id, name: c.name })),
      });
      return;
    }
    if (details.prompt.name === 'consent') {
      const scope =
        typeof details.params['scope'] === 'string' ? details.params['scope'] : 'openid';
      ctx.type = 'html';
      ctx.body = views.page('consent', 'Allow access', {
        uid: details.uid,
        csrf: csrf.token(details.uid),
        clientName: await clientName(details),
        accountName: undefined,
        scopes: [...new Set(scope.split(' '))].map(scopeText),
      });
      return;
    }
    throw new AppError('BAD_REQUEST', `unsupported prompt ${details.prompt.name}`);
  });

  router.post('/interaction/:uid/login', form, async (ctx) => {
    const details = await load(ctx, 'login');
    if (details === undefined || !checkCsrf(ctx, details)) return;
    const body = ctx.request.body;
    const connector = chosenConnector(details, field(body, 'connector'));
    if (connector === undefined)
      throw new AppError('CONNECTOR_NOT_FOUND', 'Choose a sign-in method.');
    const username = (field(body, 'username') ?? '').trim();
    const password = field(body, 'password') ?? '';
    const scope = typeof details.params['scope'] === 'string' ? details.params['scope'] : undefined;
    const clientId =
      typeof details.params['client_id'] === 'string' ? details.params['client_id'] : undefined;
    let result;
    try {
      result = await deps.login({
        connectorId: connector.id,
        username,
        password,
        scopes: scopesFrom(scope, false),
        clientId,
        ip: ctx.ip,
        // oidc-provider marks the interaction of a device flow (its value is a credential: unused).
        channel:
          (details as { deviceCode?: unknown }).deviceCode === undefined ? 'login_page' : 'device',
      });
    } catch (err) {
      if (isAppError(err, 'CONNECTOR_UNAVAILABLE')) {
        ctx.state.log.warn(
          { event: 'login.unavailable', connector: connector.id, err },
          'login failed: directory unreachable',
        );
        await renderLogin(ctx, details, connector, {
          username,
          status: 503,
          error: 'The directory cannot be reached right now. Try again in a moment.',
        });
        return;
      }
      throw err;
    }
    if (!result.ok && result.denied) {
      // Right password, but this client's policy refuses the user: the client gets
      // access_denied with the reason, and the person a page that says so.
      const returnTo = await deps
        .provider()
        .interactionResult(
          ctx.req,
          ctx.res,
          { error: 'access_denied', error_description: result.description },
          { mergeWithLastSubmission: false },
        );
      ctx.status = 403;
      ctx.type = 'html';
      ctx.body = views.page('access-denied', 'Access denied', {
        username: username.slice(0, 256),
        description: result.description,
        clientName: await clientName(details),
        returnTo,
      });
      return;
    }
    if (!result.ok) {
      // Wrong password, unknown user, locked out or throttled: one answer for all (the audit
      // trail has the reason).
      await renderLogin(ctx, details, connector, {
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
    ctx.respond = false;
    await deps
      .provider()
      .interactionFinished(
        ctx.req,
        ctx.res,
        { login: { accountId: result.sub } },
        { mergeWithLastSubmission: false },
      );
  });

  router.post('/interaction/:uid/confirm', form, async (ctx) => {
    const details = await load(ctx, 'consent');
    if (details === undefined || !checkCsrf(ctx, details)) return;
    const provider = deps.provider();
    const accountId = details.session?.accountId;
    const clientId = details.params['client_id'];
    if (accountId === undefined || typeof clientId !== 'string')
      throw new AppError('BAD_REQUEST', 'no session for this consent');
    const grant =
      details.grantId === undefined
        ? new provider.Grant({ accountId, clientId })
        : await provider.Grant.find(details.grantId);
    if (grant === undefined) throw new AppError('BAD_REQUEST', 'the grant of this consent is gone');
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
    };
    if (missing.missingOIDCScope !== undefined)
      grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    ctx.respond = false;
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { consent: details.grantId === undefined ? { grantId } : {} },
      { mergeWithLastSubmission: true },
    );
  });

  router.post('/interaction/:uid/abort', form, async (ctx) => {
    const details = await load(ctx);
    if (details === undefined || !checkCsrf(ctx, details)) return;
    ctx.respond = false;
    await deps
      .provider()
      .interactionFinished(
        ctx.req,
        ctx.res,
        { error: 'access_denied', error_description: 'The user denied the request.' },
        { mergeWithLastSubmission: false },
      );
  });

  return router;
}
