import type { ClientMetadata } from 'oidc-provider';
import type { Config, StaticClientConfig } from '../config/index.js';
import type { SigningAlg } from '../keys/index.js';

/** Loopback redirect URIs that, for a native client, match any port (oidc-provider strips the port). */
export const LOOPBACK_REDIRECTS = ['http://localhost', 'http://127.0.0.1'] as const;

function isLoopbackHttp(uri: string): boolean {
  const u = URL.parse(uri);
  return (
    u !== null &&
    u.protocol === 'http:' &&
    (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]')
  );
}

/** The per-client policy sigil adds on top of oidc-provider's client metadata. */
export interface ClientPolicy {
  readonly id: string;
  readonly name: string;
  readonly public: boolean;
  readonly skipConsent: boolean;
  readonly refreshTokens: boolean;
  readonly idTokenTtlSec: number;
}

export function clientPolicy(c: StaticClientConfig, config: Config): ClientPolicy {
  return {
    id: c.id,
    name: c.name ?? c.id,
    public: c.public,
    skipConsent: c.skipApprovalScreen ?? config.oauth2.skipApprovalScreen,
    refreshTokens: c.refreshTokens,
    idTokenTtlSec: Math.round((c.idTokenTTL ?? config.expiry.idTokens) / 1000),
  };
}

/**
 * Dex's staticClients → oidc-provider client metadata. A public client with no redirect URIs
 * is a native (kubelogin-style) client accepting http://localhost:<any port> and
 * http://127.0.0.1:<any port>. A client of `admin.clients` also gets the client credentials grant.
 */
export function clientMetadata(
  c: StaticClientConfig,
  signingAlg: SigningAlg,
  adminClient = false,
): ClientMetadata {
  const redirectUris =
    c.redirectURIs.length > 0 ? [...c.redirectURIs] : c.public ? [...LOOPBACK_REDIRECTS] : [];
  const native = redirectUris.every(isLoopbackHttp);
  return {
    client_id: c.id,
    client_name: c.name ?? c.id,
    application_type: native ? 'native' : 'web',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: [...c.postLogoutRedirectURIs],
    grant_types: [
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
      ...(c.passwordGrant ? ['password'] : []),
      // admin.clients: automation gets the admin API's scope with its own credentials.
      ...(adminClient && !c.public ? ['client_credentials'] : []),
    ],
    response_types: ['code'],
    id_token_signed_response_alg: signingAlg,
    ...(c.public
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: c.secret ?? '', token_endpoint_auth_method: 'client_secret_basic' }),
  };
}
