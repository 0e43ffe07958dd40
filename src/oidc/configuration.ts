import type { Adapter, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { ADMIN_SCOPE, issuerPath, type Config } from '../config/index.js';
import type { KeySet } from '../keys/index.js';
import type { AccountService } from './accounts.js';
import { clientMetadata, clientPolicy, type ClientPolicy } from './clients.js';
import type { ProviderPages } from './pages.js';
import { buildInteractionPolicy } from './policy.js';
import { DEVICE_GRANT, deviceFlowFeature } from './device.js';
import { DEX_IMPORT_GTY, ownTokensOnly } from './token-policies.js';
import { AudienceTrust } from './audiences.js';
import { ACR_VALUES } from '../security/index.js';

export interface ProviderDeps {
  config: Config;
  adapter: new (name: string) => Adapter;
  accounts: AccountService;
  keys: KeySet;
  /** Cookie-signing keys shared by every replica (from the database). */
  cookieKeys: readonly string[];
  pages: ProviderPages;
}

/** The scopes every client may ask for (the audience scopes come from the config). */
export const STANDARD_SCOPES = [
  'openid',
  'offline_access',
  'profile',
  'email',
  'groups',
  ADMIN_SCOPE,
] as const;

export const SCOPE_CLAIMS = {
  // jti: a fresh id per id_token (accounts.ts), recorded in the audit trail; sid: the login's
  // session id (session-id.ts), the same for every refresh of one grant. acr, amr and
  // auth_time: how and when the person logged in (every id_token; a refresh keeps the login's).
  openid: ['sub', 'jti', 'sid', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
} as const;

/**
 * The scope as the client sent it. oidc-provider drops the scopes it does not know before the
 * extraParams validators run, and an audience nobody trusts is one of those: it must be
 * refused, not dropped (the cluster would refuse the token later, with no reason given).
 */
function sentScope(ctx: KoaContextWithOIDC): string {
  const sent: unknown = ctx.oidc.body?.['scope'] ?? ctx.query['scope'];
  return typeof sent === 'string' ? sent : '';
}

/** oidc-provider routes only programs call (no person reads their answers). */
const MACHINE_ROUTES: ReadonlySet<string> = new Set([
  'token',
  'device_authorization',
  'introspection',
  'revocation',
  'userinfo',
  'jwks',
  'discovery',
  'pushed_authorization_request',
]);

/** Seconds, as oidc-provider's TTLs are given, of a duration in ms. */
const sec = (ms: number): number => Math.round(ms / 1000);

/**
 * Builds oidc-provider's Configuration from sigil's. Everything protocol-shaped is
 * oidc-provider's; this file only decides policy: which clients, which TTLs, who gets
 * refresh tokens, which claims go in the id_token.
 */
export function buildConfiguration(deps: ProviderDeps): {
  configuration: Configuration;
  policies: ReadonlyMap<string, ClientPolicy>;
  trust: AudienceTrust;
} {
  const { config, keys, pages } = deps;
  // Under an issuer with a path (https://host/dex) the session cookie is scoped to it; the
  // provider scopes its interaction and resume cookies to their own URLs, which carry it.
  const base = issuerPath(config.issuer);
  const cookiePath = base === '' ? {} : { path: base };
  const policies = new Map(config.staticClients.map((c) => [c.id, clientPolicy(c, config)]));
  const trust = new AudienceTrust(config.staticClients);
  const policyOf = (clientId: string | undefined): ClientPolicy | undefined =>
    clientId === undefined ? undefined : policies.get(clientId);

  const configuration: Configuration = {
    adapter: deps.adapter,
    clients: config.staticClients.map((c) =>
      clientMetadata(c, keys.active.alg, config.admin.clients.includes(c.id)),
    ),
    findAccount: deps.accounts.findAccount,
    jwks: { keys: keys.published.map((k) => ({ ...k.privateJwk })) },
    cookies: {
      keys: [...deps.cookieKeys],
      long: { signed: true, httpOnly: true, sameSite: 'lax', ...cookiePath },
      short: { signed: true, httpOnly: true, sameSite: 'lax', ...cookiePath },
    },
    // The standard scopes, and `audience:server:client_id:<id>` for every client that trusts a
    // peer (audiences.ts): known scopes ride on the grant and the refresh token.
    scopes: [...STANDARD_SCOPES, ...trust.scopes()],
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([k, v]) => [k, [...v]])),
    acrValues: [...ACR_VALUES],
    // kube-apiserver reads only the id_token: scope claims (groups, email) must be in it.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'] },
    clientDefaults: {
      id_token_signed_response_alg: keys.active.alg,
      require_auth_time: true,
      grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      response_types: ['code'],
    },
    pkce: {
      required: (_ctx, client) =>
        client.clientAuthMethod === 'none' || policyOf(client.clientId)?.public === true,
    },
    features: features(pages, config.admin.clients.length > 0),
    interactions: {
      url: (_ctx, interaction) => `${base}/interaction/${interaction.uid}`,
      policy: buildInteractionPolicy(
        (clientId) => policyOf(clientId)?.skipConsent === true,
        (accountId, req) => deps.accounts.mfaRequiredFor(accountId, req),
      ),
    },
    // Refresh tokens for configured clients even without offline_access (kubelogin never asks).
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') &&
      (code.scopes.has('offline_access') || policyOf(client.clientId)?.refreshTokens === true),
    // Refresh tokens live by their own idle and absolute lifetimes, not the browser session's.
    expiresWithSession: (ctx, code) =>
      !(
        code.scopes.has('offline_access') ||
        policyOf(ctx.oidc.client?.clientId)?.refreshTokens === true
      ),
    rotateRefreshToken,
    ttl: ttls(config, policyOf, (ctx) => deps.accounts.idTokenEnd(ctx)),
    loadExistingGrant: existingGrant(policyOf, deps.accounts),
    renderError: renderError(pages),
    extraParams: {
      connector_id: null,
      // Runs on the authorization, device authorization and PAR endpoints, after
      // oidc-provider's own scope checks: an audience the client may not ask for is
      // invalid_scope.
      scope: (ctx, value, client) => {
        trust.check(client.clientId, [sentScope(ctx), value].join(' '));
      },
    },
  };
  return { configuration, policies, trust };
}

type PolicyOf = (clientId: string | undefined) => ClientPolicy | undefined;

const YEAR_SEC = 365.25 * 24 * 60 * 60;

/**
 * oidc-provider's default rotation (public clients at every use, others past 70% of the
 * lifetime, never after a year), plus: a refresh token made from an imported Dex one is always
 * rotated, so the Dex token works once and a second use is a reuse (dex-imports.ts).
 */
const rotateRefreshToken: NonNullable<Configuration['rotateRefreshToken']> = (ctx) => {
  const { RefreshToken: token, Client: client } = ctx.oidc.entities;
  if (token === undefined || client === undefined) return false;
  if (token.gty === DEX_IMPORT_GTY) return true;
  if (token.totalLifetime() >= YEAR_SEC) return false;
  if (client.clientAuthMethod === 'none' && !token.isSenderConstrained()) return true;
  return token.ttlPercentagePassed() >= 70;
};

/** Lifetimes, in seconds: the config's, per client its idTokenTTL, capped by elevation grants. */
function ttls(
  config: Config,
  policyOf: PolicyOf,
  idTokenEnd: (ctx: object) => Date | undefined,
): NonNullable<Configuration['ttl']> {
  const refresh = config.expiry.refreshTokens;
  const idTokenTtl = sec(config.expiry.idTokens);
  return {
    AccessToken: idTokenTtl,
    // admin.clients' tokens for the admin API live as long as a person's access token.
    ClientCredentials: idTokenTtl,
    AuthorizationCode: 60,
    // An id_token carrying an elevated group expires when the grant ends, at the latest.
    IdToken: (ctx) => {
      const ttl = policyOf(ctx.oidc.client?.clientId)?.idTokenTtlSec ?? idTokenTtl;
      const end = idTokenEnd(ctx);
      if (end === undefined) return ttl;
      return Math.max(1, Math.min(ttl, Math.floor((end.getTime() - Date.now()) / 1000)));
    },
    Interaction: sec(config.expiry.authRequests),
    Session: sec(config.expiry.sessions),
    DeviceCode: sec(config.expiry.deviceRequests),
    Grant: sec(refresh.absoluteLifetime),
    RefreshToken: (_ctx, token) => {
      const now = Math.floor(Date.now() / 1000);
      const iiat: number | undefined = token.iiat;
      const started = iiat ?? now;
      const absoluteLeft = started + sec(refresh.absoluteLifetime) - now;
      return Math.max(1, Math.min(sec(refresh.validIfNotUsedFor), absoluteLeft));
    },
  };
}

/**
 * The grant of an authorization: the consented one, or for a first-party client (no consent
 * page) a new grant of what it asked for.
 */
function existingGrant(
  policyOf: PolicyOf,
  accounts: AccountService,
): NonNullable<Configuration['loadExistingGrant']> {
  return async (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const accountId = oidc.session?.accountId;
    if (clientId === undefined || accountId === undefined) return undefined;
    const grantId =
      (oidc.result?.['consent'] as { grantId?: string } | undefined)?.grantId ??
      oidc.session?.grantIdFor(clientId);
    if (policyOf(clientId)?.skipConsent !== true) {
      return grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
    }
    // First-party client: grant what it asked for, without a consent page, and a grant of
    // its own for every authorization: each login (each laptop, each kubeconfig) is its
    // own refresh-token family, so revoking one after a reuse never logs out the others.
    const grant = new oidc.provider.Grant({ accountId, clientId });
    const scope = typeof oidc.params?.['scope'] === 'string' ? oidc.params['scope'] : 'openid';
    // The admin scope only for people in admin.groups; refused (not asked again) otherwise.
    const { granted, refused } = await accounts.grantableScope(accountId, scope);
    grant.addOIDCScope(granted);
    if (refused.length > 0) grant.rejectOIDCScope(refused.join(' '));
    const requestedClaims = oidc.requestParamClaims;
    if (requestedClaims.size > 0) grant.addOIDCClaims([...requestedClaims]);
    await grant.save();
    return grant;
  };
}

/** oidc-provider's error page, or JSON for the routes only programs call. */
function renderError(pages: ProviderPages): NonNullable<Configuration['renderError']> {
  return async (ctx, out) => {
    // oidc-provider renders an HTML page for any request that prefers HTML; a program at a
    // back-channel endpoint gets its OAuth error as JSON whatever it sent as Accept.
    if (MACHINE_ROUTES.has(ctx.oidc.route)) {
      ctx.type = 'json';
      ctx.body = out;
      return;
    }
    await pages.error(ctx, { error: out.error, description: out.error_description });
  };
}

function features(
  pages: ProviderPages,
  clientCredentials: boolean,
): NonNullable<Configuration['features']> {
  return {
    devInteractions: { enabled: false },
    // Only for admin.clients (the admin API's automation); no client has the grant otherwise.
    clientCredentials: { enabled: clientCredentials },
    deviceFlow: deviceFlowFeature(pages),
    // A client may introspect and revoke only its own tokens (token-policies.ts).
    revocation: { enabled: true, allowedPolicy: ownTokensOnly },
    introspection: { enabled: true, allowedPolicy: ownTokensOnly },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx, form) => pages.logout(ctx, form),
      postLogoutSuccessSource: (ctx) => pages.logoutSuccess(ctx),
    },
  };
}
