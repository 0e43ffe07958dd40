import { randomUUID } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import { LOCAL_CONNECTOR_ID, type Config } from '../config/index.js';
import type { KeySealer } from '../keys/index.js';
import { decodeDexRefreshToken, dexSubject } from '../lib/index.js';
import {
  claimDexRefreshToken,
  clientSecretContext,
  findDexClient,
  findDexPasswordByUserId,
  hashId,
  type ClaimedDexToken,
  type Db,
  type DexRefreshRow,
} from '../storage/index.js';
import { LOOPBACK_REDIRECTS } from './clients.js';
import { STANDARD_SCOPES } from './configuration.js';
import { DEX_IMPORT_GTY } from './token-policies.js';

/**
 * What `sigil import dex` brought over, as oidc-provider sees it (through the adapter):
 *
 * - Clients created through Dex's API are found by the `Client` model after the configured
 *   static clients (oidc-provider asks the adapter for any client id it does not know).
 * - A Dex refresh token presented at the token endpoint becomes, on its first use, a sigil
 *   refresh token of a new grant stored under the Dex token's own value: the refresh grant
 *   then runs as for any refresh token (client check, findAccount re-checks the directory,
 *   rotation), and a second use of the same Dex token is a reuse like any other.
 */
export interface DexImports {
  client(id: string): Promise<ClientMetadata | undefined>;
  /** Claims an unclaimed imported Dex refresh token whose value this is; true when it did. */
  claimRefreshToken(value: string): Promise<boolean>;
}

const sec = (ms: number) => Math.floor(ms / 1000);

/** A Dex API client as oidc-provider client metadata (Dex: a public client with no redirect URIs accepts loopback ones). */
function clientFrom(
  c: { id: string; secret: string; redirectUris: readonly string[]; public: boolean; name: string },
  alg: NonNullable<ClientMetadata['id_token_signed_response_alg']>,
): ClientMetadata {
  const redirects =
    c.redirectUris.length > 0 ? [...c.redirectUris] : c.public ? [...LOOPBACK_REDIRECTS] : [];
  const native = redirects.every((u) => /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/.test(u));
  return {
    client_id: c.id,
    client_name: c.name === '' ? c.id : c.name,
    application_type: native ? 'native' : 'web',
    redirect_uris: redirects,
    grant_types: [
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
    ],
    response_types: ['code'],
    id_token_signed_response_alg: alg,
    ...(c.public
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: c.secret, token_endpoint_auth_method: 'client_secret_basic' }),
  };
}

export interface DexImportsDeps {
  readonly db: Db;
  readonly config: Config;
  readonly sealer: KeySealer;
  /** The alg id_tokens are signed with (the active key's). */
  readonly signingAlg: () => NonNullable<ClientMetadata['id_token_signed_response_alg']>;
}

export function createDexImports(deps: DexImportsDeps): DexImports {
  const { db, config, sealer } = deps;
  return {
    async client(id) {
      const c = await findDexClient(db, id);
      if (c === undefined) return undefined;
      let secret: string;
      try {
        secret = c.encrypted ? sealer.open(c.secret, clientSecretContext(id)) : c.secret;
      } catch {
        return undefined; // sealed under another secret: unusable, like an unknown client
      }
      return clientFrom({ ...c, secret }, deps.signingAlg());
    },
    async claimRefreshToken(value) {
      const ref = decodeDexRefreshToken(value);
      if (ref === undefined) return false;
      return claimDexRefreshToken(
        db,
        value,
        { id: ref.refreshId, tokenHash: hashId(ref.token) },
        (row, grantId) => claimed(db, config, row, grantId),
        () => randomUUID(),
      );
    },
  };
}

/** The `sub` sigil issues for the person behind a Dex token (connectors' subjectFormat). */
async function subjectOf(db: Db, config: Config, row: DexRefreshRow): Promise<string | undefined> {
  if (row.connectorId === LOCAL_CONNECTOR_ID) {
    // Imported password users keep Dex's sub; staticPasswords users have sigil's.
    if (!config.enablePasswordDB) return undefined;
    const imported = await findDexPasswordByUserId(db, row.userId);
    return imported === undefined ? row.userId : dexSubject(row.userId, row.connectorId);
  }
  const c = config.connectors.find((x) => x.id === row.connectorId);
  if (c === undefined) return undefined;
  return c.config.subjectFormat === 'dex' ? dexSubject(row.userId, row.connectorId) : row.userId;
}

const KNOWN_SCOPES: ReadonlySet<string> = new Set(STANDARD_SCOPES);

async function claimed(
  db: Db,
  config: Config,
  row: DexRefreshRow,
  grantId: string,
): Promise<ClaimedDexToken | undefined> {
  const sub = await subjectOf(db, config, row);
  if (sub === undefined) return undefined;
  const now = Math.floor(Date.now() / 1000);
  const r = config.expiry.refreshTokens;
  const iiat = Math.floor(row.createdAt.getTime() / 1000);
  const ttl = Math.min(sec(r.validIfNotUsedFor), iiat + sec(r.absoluteLifetime) - now);
  if (ttl <= 0) return undefined;
  const scope = row.scopes
    .filter((s) => KNOWN_SCOPES.has(s) || s.startsWith('audience:server:client_id:'))
    .join(' ');
  const c = row.claims;
  return {
    grant: {
      id: grantId,
      expiresIn: sec(r.absoluteLifetime),
      payload: {
        kind: 'Grant',
        jti: grantId,
        iat: now,
        exp: now + sec(r.absoluteLifetime),
        accountId: sub,
        clientId: row.clientId,
        openid: { scope },
      },
    },
    refreshToken: {
      expiresIn: ttl,
      payload: {
        kind: 'RefreshToken',
        iat: now,
        exp: now + ttl,
        iiat,
        accountId: sub,
        clientId: row.clientId,
        grantId,
        scope,
        gty: DEX_IMPORT_GTY,
        expiresWithSession: false,
        ...(row.nonce === '' ? {} : { nonce: row.nonce }),
      },
    },
    identity: {
      sub,
      connectorId: row.connectorId,
      record: {
        userId: row.userId,
        ...(sub === row.userId ? {} : { subject: sub }),
        username: c.username,
        preferredUsername: c.preferredUsername === '' ? c.username : c.preferredUsername,
        ...(c.email === '' ? {} : { email: c.email }),
        emailVerified: c.emailVerified,
        groups: [...c.groups],
        ...(row.connectorData === null ? {} : { connectorData: row.connectorData }),
      },
    },
  };
}
