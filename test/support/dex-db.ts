import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import pg from 'pg';
import { encodeDexRefreshToken } from '../../src/lib/index.js';
import { DEX_MIGRATIONS } from './dex-schema.js';
import { createTestDatabase } from './postgres.js';

/**
 * A Dex database built the way Dex builds one: its v2.45.1 migrations (dex-schema.ts), run in
 * order and recorded in `migrations`, with the SQLite flavor's rewriting of the statements
 * (dexidp/dex storage/sql/sql.go: booleans as integers, bytea as blob, timestamptz as
 * timestamp), then rows written in Dex's formats (storage/sql/crud.go): JSON columns as JSON
 * bytes, timestamps as go-sqlite3 writes them, refresh tokens handed out as base64url protobufs.
 */
export type DexFlavor = 'postgres' | 'sqlite';

export interface DexDb {
  readonly flavor: DexFlavor;
  /** What `sigil import dex --from` takes: the URL or the file. */
  readonly from: string;
  /** Runs a statement as written for PostgreSQL ($1 binds), translated for SQLite. */
  exec: (sql: string, params?: readonly unknown[]) => Promise<void>;
  addKeys(k: DexKeysRow): Promise<void>;
  addClient(c: DexClientRow): Promise<void>;
  addPassword(p: DexPasswordRow): Promise<void>;
  /** Writes the row; answers the refresh token string Dex handed the client. */
  addRefreshToken(r: DexRefreshRow): Promise<string>;
  addOfflineSession(s: DexOfflineRow): Promise<void>;
  addConnector(c: { id: string; type: string; name: string; config: unknown }): Promise<void>;
  close: () => Promise<void>;
}

export interface DexKeysRow {
  signingKey: JWK | string;
  signingKeyPub: JWK | string;
  verificationKeys: { publicKey: JWK; expiry: Date }[] | string;
  nextRotation: Date;
}
export interface DexClientRow {
  id: string;
  secret: string;
  redirectURIs?: string[] | null;
  trustedPeers?: string[] | null;
  public?: boolean;
  name?: string;
  logoURL?: string;
}
export interface DexPasswordRow {
  email: string;
  hash: string;
  username: string;
  userID: string;
  preferredUsername?: string;
  groups?: string[];
  name?: string;
  emailVerified?: boolean | null;
}
export interface DexRefreshRow {
  id: string;
  token: string;
  clientID: string;
  connectorID: string;
  userID: string;
  username: string;
  email?: string;
  groups?: string[];
  scopes?: string[];
  /** Raw connector data (LDAP: JSON of {username, entry:{DN,...}}). */
  connectorData?: Buffer | null;
  createdAt?: Date;
  lastUsed?: Date;
  /** Replaces the JSON of claims_groups (hostile rows). */
  rawGroups?: string;
}
export interface DexOfflineRow {
  userID: string;
  connID: string;
  refresh: Record<string, { ID: string; ClientID: string; CreatedAt: string; LastUsed: string }>;
  connectorData?: Buffer | null;
}

/** dexidp/dex storage/sql/sql.go, flavorSQLite3.queryReplacers. */
function toSqlite(q: string): string {
  return q
    .replace(/\$\d+/g, '?')
    .replace(/\btrue\b/g, '1')
    .replace(/\bfalse\b/g, '0')
    .replace(/\bboolean\b/g, 'integer')
    .replace(/\bbytea\b/g, 'blob')
    .replace(/\btimestamptz\b/g, 'timestamp')
    .replace(/\bnow\(\)/g, "date('now')");
}

/** How go-sqlite3 stores a time.Time: `2006-01-02 15:04:05.999999999-07:00`. */
export function goSqliteTime(d: Date): string {
  const iso = d.toISOString(); // 2026-12-05T08:00:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23).replace(/\.?0+$/, '')}+00:00`;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
const jsonOr = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : json(v));

export interface CreateDexDbOptions {
  /** Apply only this many migrations (a Dex that stopped half-way, or an older one). */
  migrations?: number;
  /** The admin URL of the PostgreSQL server (flavor postgres). */
  pgUrl?: string;
}

export async function createDexDb(flavor: DexFlavor, o: CreateDexDbOptions = {}): Promise<DexDb> {
  const base = flavor === 'postgres' ? await pgBase(o.pgUrl ?? '') : sqliteBase();
  const migrations = DEX_MIGRATIONS.filter((m) => m.flavor === undefined || m.flavor === flavor);
  const count = o.migrations ?? migrations.length;
  await base.exec(
    'create table if not exists migrations (num integer not null, at timestamptz not null);',
  );
  for (const [i, m] of migrations.slice(0, count).entries()) {
    for (const s of m.stmts) await base.exec(s);
    await base.exec('insert into migrations (num, at) values ($1, now());', [i + 1]);
  }
  const time = (d: Date) => (flavor === 'sqlite' ? goSqliteTime(d) : d);
  const bool = (b: boolean | null) => (b === null ? null : flavor === 'sqlite' ? (b ? 1 : 0) : b);
  return {
    flavor,
    from: base.from,
    exec: base.exec,
    close: base.close,
    addKeys: (k) =>
      base.exec(
        `insert into keys (id, verification_keys, signing_key, signing_key_pub, next_rotation) values ($1, $2, $3, $4, $5);`,
        [
          'keys',
          jsonOr(k.verificationKeys),
          jsonOr(k.signingKey),
          jsonOr(k.signingKeyPub),
          time(k.nextRotation),
        ],
      ),
    addClient: (c) =>
      base.exec(
        `insert into client (id, secret, redirect_uris, trusted_peers, public, name, logo_url) values ($1, $2, $3, $4, $5, $6, $7);`,
        [
          c.id,
          c.secret,
          json(c.redirectURIs ?? null),
          json(c.trustedPeers ?? null),
          bool(c.public ?? false),
          c.name ?? '',
          c.logoURL ?? '',
        ],
      ),
    addPassword: (p) =>
      base.exec(
        `insert into password (email, hash, username, preferred_username, user_id, groups, name, email_verified) values ($1, $2, $3, $4, $5, $6, $7, $8);`,
        [
          p.email.toLowerCase(),
          Buffer.from(p.hash, 'utf8'),
          p.username,
          p.preferredUsername ?? '',
          p.userID,
          json(p.groups ?? null),
          p.name ?? '',
          bool(p.emailVerified ?? null),
        ],
      ),
    async addRefreshToken(r) {
      const now = new Date();
      await base.exec(
        `insert into refresh_token (id, client_id, scopes, nonce, claims_user_id, claims_username, claims_preferred_username, claims_email, claims_email_verified, claims_groups, connector_id, connector_data, token, obsolete_token, created_at, last_used) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16);`,
        [
          r.id,
          r.clientID,
          json(r.scopes ?? ['openid', 'offline_access', 'groups', 'profile', 'email']),
          '',
          r.userID,
          r.username,
          '',
          r.email ?? '',
          bool(true),
          r.rawGroups === undefined ? json(r.groups ?? []) : Buffer.from(r.rawGroups, 'utf8'),
          r.connectorID,
          r.connectorData ?? null,
          r.token,
          '',
          time(r.createdAt ?? now),
          time(r.lastUsed ?? now),
        ],
      );
      return encodeDexRefreshToken({ refreshId: r.id, token: r.token });
    },
    addOfflineSession: (s) =>
      base.exec(
        `insert into offline_session (user_id, conn_id, refresh, connector_data) values ($1, $2, $3, $4);`,
        [s.userID, s.connID, json(s.refresh), s.connectorData ?? null],
      ),
    addConnector: (c) =>
      base.exec(
        `insert into connector (id, type, name, resource_version, config) values ($1, $2, $3, $4, $5);`,
        [c.id, c.type, c.name, '1', json(c.config)],
      ),
  };
}

interface Base {
  from: string;
  exec: (sql: string, params?: readonly unknown[]) => Promise<void>;
  close: () => Promise<void>;
}

async function pgBase(adminUrl: string): Promise<Base> {
  const db = await createTestDatabase(adminUrl, 'dex_test');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return {
    from: db.url,
    exec: async (sql, params = []) => {
      await client.query(sql, params as unknown[]);
    },
    async close() {
      await client.end();
      await db.drop();
    },
  };
}

function sqliteBase(): Base {
  const dir = mkdtempSync(join(tmpdir(), 'dex-sqlite-'));
  const file = join(dir, 'dex.db');
  const db = new DatabaseSync(file);
  return {
    from: file,
    exec: (sql, params = []) => {
      db.prepare(toSqlite(sql)).run(...(params as (string | number | Buffer | null)[]));
      return Promise.resolve();
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** A Dex signing key as go-jose marshals it (RSA 2048, RS256, a hex kid), with its public half. */
export async function dexSigningKey(): Promise<{
  priv: JWK;
  pub: JWK;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
}> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const kid = randomBytes(20).toString('hex');
  const meta = { use: 'sig', kid, alg: 'RS256' };
  return {
    priv: { ...meta, ...(await exportJWK(privateKey)) },
    pub: { ...meta, ...(await exportJWK(publicKey)) },
    privateKey,
  };
}

/** Dex's LDAP connector data of a refresh token (connector/ldap refreshData). */
export function dexLdapConnectorData(username: string, dn: string): Buffer {
  return json({ username, entry: { DN: dn, Attributes: [] } });
}
