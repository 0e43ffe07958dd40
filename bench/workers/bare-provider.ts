import { readFileSync } from 'node:fs';
import https from 'node:https';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { workerParams } from '../lib/children.js';
import { MemoryAdapter } from './memory-adapter.js';

/**
 * The baseline peer: a bare oidc-provider (the version sigil embeds) with an in-memory
 * adapter (Maps, see memory-adapter.ts), an RS256 key of the same size as sigil's, the same client (a native public client
 * with loopback redirects, PKCE), the same claims in the id_token, refresh tokens without
 * offline_access, no consent for the first-party client, over the same TLS certificate. Its
 * login completes by itself: GET /interaction/:uid finishes the login for the login_hint
 * account. Everything sigil adds (a login form, LDAP, PostgreSQL, logging, headers) is absent.
 */
interface BareParams {
  port: number;
  certFile: string;
  keyFile: string;
  modulusBits: number;
}

const p = workerParams<BareParams>();
const issuer = `https://127.0.0.1:${String(p.port)}`;
const { privateKey } = await generateKeyPair('RS256', {
  modulusLength: p.modulusBits,
  extractable: true,
});
const jwk = { ...(await exportJWK(privateKey)), kid: 'bare-1', alg: 'RS256', use: 'sig' };

const GROUPS = ['dept-00', 'div-0', 'projects', 'proj-001', 'proj-010', 'staff', 'team-01', 'x'];

const policy = interactionPolicy.base();
policy.get('consent')?.checks.remove('native_client_prompt');

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  clients: [
    {
      client_id: 'kubectl',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost', 'http://127.0.0.1'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bare-cookie-key-0123456789abcdef'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  responseTypes: ['code'],
  features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
  findAccount: (_ctx, sub) => ({
    accountId: sub,
    claims: () => ({
      sub,
      name: `Bench ${sub}`,
      preferred_username: sub,
      email: `${sub}@bench.example`,
      email_verified: true,
      groups: GROUPS,
    }),
  }),
  interactions: { url: (_ctx, i) => `/interaction/${i.uid}`, policy },
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: () => false,
  ttl: { AccessToken: 600, IdToken: 600, AuthorizationCode: 60, RefreshToken: 7 * 86_400 },
  loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const accountId = oidc.session?.accountId;
    if (clientId === undefined || accountId === undefined) return undefined;
    const grant = new oidc.provider.Grant({ accountId, clientId });
    grant.addOIDCScope(
      typeof oidc.params?.['scope'] === 'string' ? oidc.params['scope'] : 'openid',
    );
    await grant.save();
    return grant;
  },
});

const callback = provider.callback();
const server = https.createServer(
  { cert: readFileSync(p.certFile), key: readFileSync(p.keyFile) },
  (req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/interaction/') === true) {
      void (async () => {
        try {
          const details = await provider.interactionDetails(req, res);
          const hint = details.params['login_hint'];
          const accountId = typeof hint === 'string' && hint !== '' ? hint : 'someone';
          await provider.interactionFinished(req, res, { login: { accountId } });
        } catch (err) {
          res.statusCode = 400;
          res.end(err instanceof Error ? err.message : 'interaction failed');
        }
      })();
      return;
    }
    void callback(req, res);
  },
);
server.keepAliveTimeout = 5000;
server.listen(p.port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
