import {
  clientName,
  requestParam,
  type Connector,
  type InteractionContext,
  type InteractionDeps,
} from './context.js';

interface LoginFormOptions {
  readonly error?: string;
  readonly username?: string;
  readonly status?: number;
}

/**
 * The connector a login uses: the only one there is, else the one asked for (the form's or
 * the link's `connector`), else the authorization request's `connector_id`.
 */
export function chosenConnector(
  deps: InteractionDeps,
  ctx: InteractionContext,
  requested: string | undefined,
): Connector | undefined {
  const list = deps.accounts.connectors;
  if (list.length === 1) return list[0];
  const id = requested ?? requestParam(ctx.state.interaction, 'connector_id');
  return id === undefined ? undefined : deps.accounts.connector(id);
}

/** The login form of `connector`, with an error and the typed username after a failed try. */
export async function renderLoginForm(
  deps: InteractionDeps,
  ctx: InteractionContext,
  connector: Connector,
  opts: LoginFormOptions = {},
): Promise<void> {
  const { interaction } = ctx.state;
  ctx.status = opts.status ?? 200;
  ctx.type = 'html';
  ctx.body = deps.views.page('login', 'Sign in', {
    uid: interaction.uid,
    csrf: deps.csrf.token(interaction.uid),
    clientName: await clientName(deps.provider(), interaction),
    connector: {
      id: connector.id,
      name: connector.name,
      usernamePrompt: connector.usernamePrompt,
    },
    otherConnectors: deps.accounts.connectors.length > 1,
    error: opts.error,
    username: opts.username ?? requestParam(interaction, 'login_hint') ?? '',
  });
}

/** The list of sign-in methods, when there are several and none is chosen yet. */
async function renderConnectorChoice(
  deps: InteractionDeps,
  ctx: InteractionContext,
): Promise<void> {
  const { interaction } = ctx.state;
  ctx.type = 'html';
  ctx.body = deps.views.page('connectors', 'Sign in', {
    uid: interaction.uid,
    clientName: await clientName(deps.provider(), interaction),
    connectors: deps.accounts.connectors.map((c) => ({ id: c.id, name: c.name })),
  });
}

/** GET at the login prompt: the chosen connector's login form, or the choice of connectors. */
export async function showLogin(deps: InteractionDeps, ctx: InteractionContext): Promise<void> {
  const requested = ctx.query['connector'];
  const connector = chosenConnector(
    deps,
    ctx,
    typeof requested === 'string' ? requested : undefined,
  );
  if (connector === undefined) await renderConnectorChoice(deps, ctx);
  else await renderLoginForm(deps, ctx, connector);
}
