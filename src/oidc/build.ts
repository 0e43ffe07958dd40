import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../log.js';
import { scopesFrom } from './accounts.js';
import { issueExtraAudiences } from './audiences.js';
import { buildConfiguration, type ProviderDeps } from './configuration.js';
import { enforceDevicePolling } from './device.js';
import { registerPasswordGrant, type PasswordCheck } from './password-grant.js';
import { createProvider, type Provider } from './provider.js';
import { recordSessions, type SessionRecorder } from './sessions.js';
import { sendWritesBeforeAnswer, type WriteBehindDeps } from './write-behind.js';

export interface BuildProviderDeps extends ProviderDeps {
  log: Logger;
  /**
   * Checks a password for the password grant. Defaults to AccountService.authenticate; the
   * server passes the throttled and audited path the login page uses.
   */
  authenticate?: PasswordCheck;
  /** Where logins and refreshes are reported as sessions (none: sessions are not recorded). */
  sessions?: { recorder: SessionRecorder; sessionId: (grantId: string) => string };
  /**
   * The database and request memo the adapter writes through: the provider's writes of one
   * request then go as one statement before its answer (write-behind.ts). None: each at once.
   */
  writeBehind?: Pick<WriteBehindDeps, 'db' | 'memo'>;
}

/**
 * Builds a complete oidc-provider instance: configuration, the password grant, device-flow
 * polling rules. Called at start and again whenever the key set changes (the keys are fixed
 * at construction), so everything a Provider needs is set up here and nowhere else.
 */
export function buildProvider(deps: BuildProviderDeps): Provider {
  const { configuration, policies, trust } = buildConfiguration(deps);
  const provider = createProvider({
    issuer: deps.config.issuer,
    configuration,
    proxy: deps.config.web.proxy,
    log: deps.log,
  });
  const { accounts, config } = deps;
  const authenticate =
    deps.authenticate ??
    ((_ctx, connectorId, username, password, scope) =>
      accounts.authenticate(connectorId, username, password, scopesFrom(scope, false)));
  registerPasswordGrant(provider, {
    connector: () =>
      config.oauth2.passwordConnector === undefined
        ? accounts.connectors[0]
        : accounts.connector(config.oauth2.passwordConnector),
    authenticate,
    policyOf: (id) => policies.get(id),
    trust,
    findAccount: accounts.findAccount,
    grantableScope: (sub, scope) => accounts.grantableScope(sub, scope),
    enforceMfa: (ctx, sub, identity, login) => accounts.enforceMfa(ctx, sub, identity, login),
    log: deps.log,
  });
  issueExtraAudiences(provider, trust);
  if (deps.sessions !== undefined)
    recordSessions(provider, {
      ...deps.sessions,
      absoluteLifetimeMs: config.expiry.refreshTokens.absoluteLifetime,
      log: deps.log,
    });
  // The last stop of every request (sigil's own routes come first): an address nothing
  // answers at gets a 404 page or JSON error, not Koa's bare "Not Found".
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body == null)
      await deps.pages.notFound(ctx as KoaContextWithOIDC);
  });
  enforceDevicePolling(
    provider,
    new deps.adapter('DevicePoll'),
    Math.round(config.expiry.deviceRequests / 1000),
  );
  // The innermost of sigil's middleware: everything above sees the writes stored.
  if (deps.writeBehind !== undefined)
    sendWritesBeforeAnswer(provider, { ...deps.writeBehind, pages: deps.pages, log: deps.log });
  return provider;
}
