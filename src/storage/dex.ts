import type { Db, Queryable } from './db.js';
import { isUnstorableText } from './db-errors.js';
import { hashId } from './payload-store.js';
import type { IdentityRecord } from './identities.js';

/**
 * The `dex_*` tables (migrations/0007_dex.sql): what `sigil import dex` brought over from a
 * Dex database, and what the running server reads of it (imported clients, password users,
 * refresh tokens on their first use). Writes are idempotent: a row equal to the stored one
 * changes nothing (`unchanged`), a changed one is updated.
 */
export type ImportOutcome = 'imported' | 'updated' | 'unchanged';

/** The sealing context of an imported client's secret (keys' sealer, keys.encryptionSecret). */
export const clientSecretContext = (id: string): string => `dex-client:${id}`;

export interface DexClientRow {
  readonly id: string;
  /** Sealed when `encrypted` (keys.encryptionSecret; context `dex-client:<id>`). */
  readonly secret: string;
  readonly encrypted: boolean;
  readonly redirectUris: readonly string[];
  readonly trustedPeers: readonly string[];
  readonly public: boolean;
  readonly name: string;
  readonly logoUrl: string;
}

export interface DexPasswordRow {
  readonly email: string;
  readonly hash: string;
  readonly username: string;
  readonly preferredUsername: string;
  readonly userId: string;
  readonly name: string;
  readonly emailVerified: boolean;
  readonly groups: readonly string[];
}

export interface DexRefreshRow {
  readonly id: string;
  /** sha256 (base64url) of the token's secret half. */
  readonly tokenHash: string;
  readonly clientId: string;
  readonly userId: string;
  readonly connectorId: string;
  readonly scopes: readonly string[];
  readonly nonce: string;
  /** Dex's claims: username, preferredUsername, email, emailVerified, groups. */
  readonly claims: {
    readonly username: string;
    readonly preferredUsername: string;
    readonly email: string;
    readonly emailVerified: boolean;
    readonly groups: readonly string[];
  };
  readonly connectorData: Readonly<Record<string, unknown>> | null;
  readonly createdAt: Date;
  readonly lastUsed: Date;
}

/** An insert-or-update that says which it was: `changed` is a SQL condition on `t` vs `excluded`. */
async function upsert(
  q: Queryable,
  sql: string,
  params: readonly unknown[],
): Promise<ImportOutcome> {
  const { rows } = await q.query<{ inserted: boolean }>(sql, params as never);
  const row = rows[0];
  return row === undefined ? 'unchanged' : row.inserted ? 'imported' : 'updated';
}

export function saveDexClient(q: Queryable, c: DexClientRow): Promise<ImportOutcome> {
  return upsert(
    q,
    `INSERT INTO dex_clients AS t (id, secret, encrypted, redirect_uris, trusted_peers, public, name, logo_url)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, encrypted = excluded.encrypted,
       redirect_uris = excluded.redirect_uris, trusted_peers = excluded.trusted_peers,
       public = excluded.public, name = excluded.name, logo_url = excluded.logo_url,
       imported_at = now()
     WHERE (t.redirect_uris, t.trusted_peers, t.public, t.name, t.logo_url)
           IS DISTINCT FROM (excluded.redirect_uris, excluded.trusted_peers, excluded.public, excluded.name, excluded.logo_url)
        OR $9::boolean
     RETURNING (xmax = 0) AS inserted`,
    [
      c.id,
      c.secret,
      c.encrypted,
      JSON.stringify(c.redirectUris),
      JSON.stringify(c.trustedPeers),
      c.public,
      c.name,
      c.logoUrl,
      false,
    ],
  );
}

/** Whether the stored client secret opens to `secret` is the caller's check (it is sealed). */
export async function findDexClient(q: Queryable, id: string): Promise<DexClientRow | undefined> {
  // A NUL byte or a lone surrogate cannot be in the table (PostgreSQL refuses to compare it).
  if (isUnstorableText(id)) return undefined;
  const { rows } = await q.query<{
    id: string;
    secret: string;
    encrypted: boolean;
    redirect_uris: string[];
    trusted_peers: string[];
    public: boolean;
    name: string;
    logo_url: string;
  }>(
    `SELECT id, secret, encrypted, redirect_uris, trusted_peers, public, name, logo_url
       FROM dex_clients WHERE id = $1`,
    [id],
  );
  const r = rows[0];
  return r === undefined
    ? undefined
    : {
        id: r.id,
        secret: r.secret,
        encrypted: r.encrypted,
        redirectUris: r.redirect_uris,
        trustedPeers: r.trusted_peers,
        public: r.public,
        name: r.name,
        logoUrl: r.logo_url,
      };
}

/** Updates the secret of an imported client (a changed secret is an update). */
export async function setDexClientSecret(
  q: Queryable,
  id: string,
  secret: string,
  encrypted: boolean,
): Promise<void> {
  await q.query('UPDATE dex_clients SET secret = $2, encrypted = $3 WHERE id = $1', [
    id,
    secret,
    encrypted,
  ]);
}

export function saveDexPassword(q: Queryable, p: DexPasswordRow): Promise<ImportOutcome> {
  return upsert(
    q,
    `INSERT INTO dex_passwords AS t (email, hash, username, preferred_username, user_id, name, email_verified, groups)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
     ON CONFLICT (email) DO UPDATE SET hash = excluded.hash, username = excluded.username,
       preferred_username = excluded.preferred_username, user_id = excluded.user_id,
       name = excluded.name, email_verified = excluded.email_verified, groups = excluded.groups,
       imported_at = now()
     WHERE (t.hash, t.username, t.preferred_username, t.user_id, t.name, t.email_verified, t.groups)
           IS DISTINCT FROM (excluded.hash, excluded.username, excluded.preferred_username,
                             excluded.user_id, excluded.name, excluded.email_verified, excluded.groups)
     RETURNING (xmax = 0) AS inserted`,
    [
      p.email.toLowerCase(),
      p.hash,
      p.username,
      p.preferredUsername,
      p.userId,
      p.name,
      p.emailVerified,
      JSON.stringify(p.groups),
    ],
  );
}

interface PasswordDbRow {
  email: string;
  hash: string;
  username: string;
  preferred_username: string;
  user_id: string;
  name: string;
  email_verified: boolean;
  groups: string[];
}

const passwordOf = (r: PasswordDbRow): DexPasswordRow => ({
  email: r.email,
  hash: r.hash,
  username: r.username,
  preferredUsername: r.preferred_username,
  userId: r.user_id,
  name: r.name,
  emailVerified: r.email_verified,
  groups: r.groups,
});

const PASSWORD_COLUMNS =
  'email, hash, username, preferred_username, user_id, name, email_verified, groups';

/** An imported password user by email (any case), else by username (one match only). */
export async function findDexPasswordByLogin(
  q: Queryable,
  login: string,
): Promise<DexPasswordRow | undefined> {
  if (isUnstorableText(login)) return undefined;
  const { rows } = await q.query<PasswordDbRow>(
    `SELECT ${PASSWORD_COLUMNS} FROM dex_passwords WHERE email = lower($1)
     UNION ALL
     (SELECT ${PASSWORD_COLUMNS} FROM dex_passwords WHERE username = $1 LIMIT 2)`,
    [login],
  );
  const byEmail = rows.find((r) => r.email === login.toLowerCase());
  if (byEmail !== undefined) return passwordOf(byEmail);
  return rows.length === 1 && rows[0] !== undefined ? passwordOf(rows[0]) : undefined;
}

export async function findDexPasswordByUserId(
  q: Queryable,
  userId: string,
): Promise<DexPasswordRow | undefined> {
  if (isUnstorableText(userId)) return undefined;
  const { rows } = await q.query<PasswordDbRow>(
    `SELECT ${PASSWORD_COLUMNS} FROM dex_passwords WHERE user_id = $1`,
    [userId],
  );
  return rows[0] === undefined ? undefined : passwordOf(rows[0]);
}

/**
 * An imported refresh token. One that a client already presented to sigil (`claimed_at`) is
 * sigil's now: it is never touched again (`unchanged`).
 */
export function saveDexRefreshToken(q: Queryable, r: DexRefreshRow): Promise<ImportOutcome> {
  return upsert(
    q,
    `INSERT INTO dex_refresh_tokens AS t
       (id, token_hash, client_id, user_id, connector_id, scopes, nonce, claims, connector_data, created_at, last_used)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9::jsonb, $10, $11)
     ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, client_id = excluded.client_id,
       user_id = excluded.user_id, connector_id = excluded.connector_id, scopes = excluded.scopes,
       nonce = excluded.nonce, claims = excluded.claims, connector_data = excluded.connector_data,
       created_at = excluded.created_at, last_used = excluded.last_used, imported_at = now()
     WHERE t.claimed_at IS NULL
       AND (t.token_hash, t.client_id, t.user_id, t.connector_id, t.scopes, t.nonce, t.claims,
            t.connector_data, t.created_at, t.last_used)
           IS DISTINCT FROM (excluded.token_hash, excluded.client_id, excluded.user_id,
            excluded.connector_id, excluded.scopes, excluded.nonce, excluded.claims,
            excluded.connector_data, excluded.created_at, excluded.last_used)
     RETURNING (xmax = 0) AS inserted`,
    [
      r.id,
      r.tokenHash,
      r.clientId,
      r.userId,
      r.connectorId,
      JSON.stringify(r.scopes),
      r.nonce,
      JSON.stringify(r.claims),
      r.connectorData === null ? null : JSON.stringify(r.connectorData),
      r.createdAt,
      r.lastUsed,
    ],
  );
}

/** What a first use of a Dex refresh token turns into (built by oidc/, which knows the payloads). */
export interface ClaimedDexToken {
  readonly grant: { readonly id: string; readonly payload: object; readonly expiresIn: number };
  /** Stored under the Dex token string itself (hashed, like every refresh token). */
  readonly refreshToken: { readonly payload: object; readonly expiresIn: number };
  /** Saved unless sigil already knows the person under this `sub`. */
  readonly identity: {
    readonly sub: string;
    readonly connectorId: string;
    readonly record: IdentityRecord & Record<string, unknown>;
  };
}

/**
 * The first use of a Dex refresh token, at most once even under concurrent requests: the row
 * is claimed (`claimed_at`) and, in the same transaction, the sigil grant and refresh token it
 * becomes are stored (the refresh token under the Dex token's own value, hashed). Undefined
 * when there is no such unclaimed token with this secret (unknown, wrong secret, or claimed
 * before: then the stored sigil token is what oidc-provider finds, consumed or not).
 * `build` may return undefined to leave the token unclaimed (it cannot be used now).
 */
export async function claimDexRefreshToken(
  db: Db,
  value: string,
  ref: { readonly id: string; readonly tokenHash: string },
  build: (row: DexRefreshRow, grantId: string) => Promise<ClaimedDexToken | undefined>,
  newGrantId: () => string,
): Promise<boolean> {
  if (isUnstorableText(ref.id) || isUnstorableText(value)) return false;
  return db
    .transaction(async (tx) => {
      const grantId = newGrantId();
      const { rows } = await tx.query<DexRefreshDbRow>(
        `UPDATE dex_refresh_tokens SET claimed_at = now(), grant_id = $3
        WHERE id = $1 AND token_hash = $2 AND claimed_at IS NULL
        RETURNING ${REFRESH_COLUMNS}`,
        [ref.id, ref.tokenHash, grantId],
      );
      const row = rows[0];
      if (row === undefined) return false;
      const claimed = await build(refreshOf(row), grantId);
      if (claimed === undefined) throw new Unclaimable();
      await storeClaimed(tx, value, grantId, claimed);
      return true;
    })
    .catch((err: unknown) => {
      if (err instanceof Unclaimable) return false;
      throw err;
    });
}

/** Rolls the claim back: the token stays as it was. */
class Unclaimable extends Error {}

async function storeClaimed(
  tx: Queryable,
  value: string,
  grantId: string,
  c: ClaimedDexToken,
): Promise<void> {
  const { connectorData, ...claims } = c.identity.record;
  await tx.query(
    `INSERT INTO identities (sub, connector_id, username, claims, connector_data)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sub) DO NOTHING`,
    [
      c.identity.sub,
      c.identity.connectorId,
      c.identity.record.username,
      claims,
      connectorData ?? null,
    ],
  );
  const insert = `INSERT INTO oidc_payload (kind, id, payload, grant_id, expires_at)
     VALUES ($1, $2, $3::jsonb, $4, now() + $5::double precision * interval '1 second')`;
  await tx.query(insert, [
    'Grant',
    c.grant.id,
    JSON.stringify(c.grant.payload),
    null,
    c.grant.expiresIn,
  ]);
  await tx.query(insert, [
    'RefreshToken',
    hashId(value),
    JSON.stringify(c.refreshToken.payload),
    grantId,
    c.refreshToken.expiresIn,
  ]);
}

interface DexRefreshDbRow {
  id: string;
  token_hash: string;
  client_id: string;
  user_id: string;
  connector_id: string;
  scopes: string[];
  nonce: string;
  claims: DexRefreshRow['claims'];
  connector_data: Record<string, unknown> | null;
  created_at: Date;
  last_used: Date;
}

const REFRESH_COLUMNS =
  'id, token_hash, client_id, user_id, connector_id, scopes, nonce, claims, connector_data, created_at, last_used';

const refreshOf = (r: DexRefreshDbRow): DexRefreshRow => ({
  id: r.id,
  tokenHash: r.token_hash,
  clientId: r.client_id,
  userId: r.user_id,
  connectorId: r.connector_id,
  scopes: r.scopes,
  nonce: r.nonce,
  claims: r.claims,
  connectorData: r.connector_data,
  createdAt: new Date(r.created_at),
  lastUsed: new Date(r.last_used),
});

/** How many imported rows there are, per table (for `sigil import dex`'s summary). */
export async function countDexRows(q: Queryable): Promise<Record<string, number>> {
  const { rows } = await q.query<{ t: string; n: number }>(
    `SELECT 'clients' AS t, count(*)::int AS n FROM dex_clients
     UNION ALL SELECT 'passwords', count(*)::int FROM dex_passwords
     UNION ALL SELECT 'refresh_tokens', count(*)::int FROM dex_refresh_tokens`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}
