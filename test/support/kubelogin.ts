import { createHash, randomBytes } from 'node:crypto';
import { basicAuth, type Client, type Res } from './http-client.js';

/**
 * What kubelogin (int128/kubelogin with golang.org/x/oauth2 and coreos/go-oidc) sends, rebuilt
 * request for request, so tests can hold sigil to it without a Go toolchain:
 * - scopes: the `--oidc-extra-scope` values, then `openid` (`append(ExtraScopes, "openid")`);
 * - the authorization URL of `oauth2.Config.AuthCodeURL`: response_type, client_id,
 *   redirect_uri, scope, state, then nonce and PKCE S256 (keys sorted, as url.Values.Encode);
 * - token requests with `AuthStyleAutoDetect`: first HTTP Basic `client_id:client_secret`
 *   (an EMPTY secret for a public client), and only if that fails, the same body again with
 *   `client_id` in it (and `client_secret` only when non-empty).
 */

export interface KubeloginParams {
  state: string;
  nonce: string;
  verifier: string;
  challenge: string;
}

export function kubeloginParams(): KubeloginParams {
  // oauth2.GenerateVerifier: 32 random bytes, base64url; kubelogin's state and nonce are
  // random base64url strings too.
  const verifier = randomBytes(32).toString('base64url');
  return {
    state: randomBytes(32).toString('base64url'),
    nonce: randomBytes(32).toString('base64url'),
    verifier,
    challenge: createHash('sha256').update(verifier).digest('base64url'),
  };
}

export function kubeloginAuthQuery(o: {
  clientId: string;
  redirectUri: string;
  extraScopes: readonly string[];
  params: KubeloginParams;
}): URLSearchParams {
  const q = new URLSearchParams({
    client_id: o.clientId,
    code_challenge: o.params.challenge,
    code_challenge_method: 'S256',
    nonce: o.params.nonce,
    redirect_uri: o.redirectUri,
    response_type: 'code',
    scope: [...o.extraScopes, 'openid'].join(' '),
    state: o.params.state,
  });
  return q;
}

export interface TokenAttempt {
  style: 'header' | 'params';
  res: Res;
}

/** POST to the token endpoint the way golang.org/x/oauth2 does with AuthStyleAutoDetect. */
export async function goOAuth2TokenRequest(
  c: Client,
  tokenPath: string,
  form: Record<string, string>,
  client: { id: string; secret: string },
): Promise<{ res: Res; attempts: TokenAttempt[] }> {
  const attempts: TokenAttempt[] = [];
  const header = await c.post(tokenPath, form, {
    authorization: basicAuth(client.id, client.secret),
  });
  attempts.push({ style: 'header', res: header });
  if (header.status === 200) return { res: header, attempts };
  const params = await c.post(tokenPath, {
    ...form,
    client_id: client.id,
    ...(client.secret === '' ? {} : { client_secret: client.secret }),
  });
  attempts.push({ style: 'params', res: params });
  return { res: params, attempts };
}
