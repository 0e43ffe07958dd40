import type { RouterContext, RouterMiddleware } from '@koa/router';
import type { AccountService, Provider } from '../../oidc/index.js';
import type { GuardedAuthenticate, MfaPolicy, MfaService } from '../../security/index.js';
import type { SigilState, Views } from '../shared/index.js';
import type { Csrf } from './csrf.js';
import type { MfaTickets } from './mfa-ticket.js';

/** Second factors at login: who needs one, the factors themselves, the signed step tickets. */
export interface InteractionMfa {
  readonly policy: MfaPolicy;
  readonly service: MfaService;
  readonly tickets: MfaTickets;
}

export interface InteractionDeps {
  provider: () => Provider;
  accounts: AccountService;
  /** The password check with throttling, reserved names, client access policy and audit. */
  login: GuardedAuthenticate;
  views: Views;
  csrf: Csrf;
  maxBodyBytes: number;
  /** Multi-factor login; without it every login is password-only. */
  mfa?: InteractionMfa | undefined;
}

/** An interaction as oidc-provider reads it from the browser's cookie (`interactionDetails`). */
export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** A sign-in method the login form offers (a PasswordConnector). */
export type Connector = AccountService['connectors'][number];

/** ctx.state on an interaction route once `loadInteraction` has run. */
export interface InteractionState extends SigilState {
  interaction: Interaction;
}

export type InteractionContext = RouterContext<InteractionState>;
export type InteractionMiddleware = RouterMiddleware<InteractionState>;

/** A string parameter of the authorization request (client_id, scope, login_hint, ...). */
export function requestParam(interaction: Interaction, name: string): string | undefined {
  const v = interaction.params[name];
  return typeof v === 'string' ? v : undefined;
}

/** A string field of the posted form (a repeated field arrives as an array: undefined). */
export function formField(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** The name the pages show for the client that started the interaction. */
export async function clientName(provider: Provider, interaction: Interaction): Promise<string> {
  const id = requestParam(interaction, 'client_id');
  if (id === undefined) return 'an application';
  const client = await provider.Client.find(id);
  return client?.clientName ?? id;
}
