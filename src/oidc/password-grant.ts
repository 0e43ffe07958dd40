import type { Account, FindAccount, KoaContextWithOIDC, Provider } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { PasswordConnector } from '../connectors/index.js';
import type { Logger } from '../log.js';
import { scopesFrom, type AuthenticateResult } from './accounts.js';
import type { AudienceTrust } from './audiences.js';
import { retryable } from './unavailable.js';
import type { ClientPolicy } from './clients.js';
import { STANDARD_SCOPES } from './configuration.js';

export const PASSWORD_GRANT = 'password';

/** Checks one username and password for a token request; resolves a wrong password, throws an outage. */
export type PasswordCheck = (
  ctx: KoaContextWithOIDC,
  connectorId: string,
  username: string,
  password: string,
  scope: string,
) => Promise<AuthenticateResult>;

export interface PasswordGrantDeps {
  /** The connector the password grant checks passwords with (oauth2.passwordConnector, else the first). */
  connector: () => PasswordConnector | undefined;
  /** Checks a password; the same path (throttling, audit) as the login page. */
  authenticate: PasswordCheck;
  policyOf: (clientId: string) => ClientPolicy | undefined;
  /** Which extra audiences (`audience:server:client_id:<id>` scopes) the client may ask for. */
  trust: AudienceTrust;
  findAccount: FindAccount;
  /** Drops the admin scope for people outside admin.groups (AccountService.grantableScope). */
  grantableScope: (sub: string, scope: string) => Promise<{ readonly granted: string }>;
  log: Logger;
}

function param(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const v = (ctx.oidc.params as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The resource owner password grant (RFC 6749 §4.3), for CI jobs and
 * `kubelogin --grant-type=password`. Off unless a client opts in (`passwordGrant: true`,
 * which puts `password` in its grant_types: oidc-provider answers unauthorized_client for
 * everyone else before this runs). Registered through oidc-provider's registerGrantType; the
 * tokens are oidc-provider's own models, so refresh, revocation and introspection treat them
 * like any other.
 */
export function registerPasswordGrant(provider: Provider, deps: PasswordGrantDeps): void {
  provider.registerGrantType(
    PASSWORD_GRANT,
    async (ctx) => {
      const client = ctx.oidc.client;
      const username = param(ctx, 'username') ?? '';
      const password = param(ctx, 'password') ?? '';
      if (username === '' || password === '')
        throw new errors.InvalidRequest('username and password are required');
      const asked = requestedScope(ctx, client.clientId, deps.trust);

      const connector = deps.connector();
      if (connector === undefined)
        throw new errors.UnauthorizedClient('no connector serves the password grant');
      let result: AuthenticateResult;
      try {
        result = await deps.authenticate(ctx, connector.id, username, password, asked.scope);
      } catch (err) {
        // The directory or the database unreachable: a retryable 503, not a 500.
        throw retryable(err);
      }
      if (!result.ok) throw new errors.InvalidGrant('invalid username or password');
      const accountId = result.sub;
      const scope = (await deps.grantableScope(accountId, asked.scope)).granted;
      const requested = scope.split(' ');

      const grant = new provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      ctx.oidc.entity('Grant', grant);

      const account = await deps.findAccount(ctx, accountId);
      if (account === undefined) throw new errors.InvalidGrant('account not found');
      ctx.oidc.entity('Account', account);

      const at = new provider.AccessToken({
        accountId,
        client,
        grantId,
        gty: PASSWORD_GRANT,
        scope,
      });
      ctx.oidc.entity('AccessToken', at);
      const accessToken = await at.save();

      const wantsRefresh =
        requested.includes('offline_access') ||
        deps.policyOf(client.clientId)?.refreshTokens === true;
      const refreshToken =
        wantsRefresh && client.grantTypeAllowed('refresh_token')
          ? await saveRefreshToken(provider, ctx, client, { accountId, grantId, scope })
          : undefined;
      const idToken = requested.includes('openid')
        ? await issueIdToken(provider, ctx, account, scope)
        : undefined;

      ctx.body = {
        access_token: accessToken,
        expires_in: at.expiration,
        token_type: 'Bearer',
        scope,
        ...(idToken === undefined ? {} : { id_token: idToken }),
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      };
    },
    ['username', 'password', 'scope'],
  );
}

/** The scopes asked for, deduplicated; an unknown or untrusted one is invalid_scope. */
function requestedScope(
  ctx: KoaContextWithOIDC,
  clientId: string,
  trust: AudienceTrust,
): { requested: string[]; scope: string } {
  const requested = [
    ...new Set((param(ctx, 'scope') ?? 'openid').split(' ').filter((s) => s !== '')),
  ];
  const scope = requested.join(' ');
  trust.check(clientId, scope);
  const known = new Set<string>([...STANDARD_SCOPES, ...trust.scopes()]);
  const unknown = requested.filter((s) => !known.has(s));
  if (unknown.length > 0)
    throw new errors.InvalidScope('requested scope is not supported', unknown[0] ?? '');
  return { requested, scope };
}

async function saveRefreshToken(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  client: NonNullable<KoaContextWithOIDC['oidc']['client']>,
  t: { accountId: string; grantId: string; scope: string },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const rt = new provider.RefreshToken({
    accountId: t.accountId,
    client,
    grantId: t.grantId,
    gty: PASSWORD_GRANT,
    scope: t.scope,
    rotations: 0,
    iiat: now,
    authTime: now,
    amr: ['pwd'],
  });
  ctx.oidc.entity('RefreshToken', rt);
  return rt.save();
}

async function issueIdToken(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  account: Account,
  scope: string,
): Promise<string> {
  const claims = await account.claims('id_token', scope, {}, []);
  const token = new provider.IdToken(
    { ...claims, amr: ['pwd'], auth_time: Math.floor(Date.now() / 1000) },
    { ctx },
  );
  // The claims mask reads the granted scope from the token (as oidc-provider's own grants set it).
  Object.assign(token, { scope });
  return token.issue({ use: 'idtoken' });
}

export { scopesFrom };
