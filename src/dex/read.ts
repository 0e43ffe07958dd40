import { AppError } from '../errors.js';
import type { DexClientRow, DexPasswordRow } from '../storage/index.js';
import type { DexSource } from './source.js';
import { RowReader } from './values.js';

/**
 * Reads a Dex database (Dex's SQL storage, dexidp/dex storage/sql: migrate.go for the tables,
 * crud.go for how each column is written) into plain values. Everything is read and checked
 * before anything is imported: an unknown schema version, a missing table or column, a row
 * that does not parse is a refusal, and nothing is written.
 */

/** Dex's schema versions (rows of its `migrations` table) this reader knows: Dex v2.3x to v2.45.1. */
export const DEX_SCHEMA = { min: 11, max: 13, newest: 'v2.45.1' } as const;

const TABLES: Readonly<Record<string, readonly string[]>> = {
  client: ['id', 'secret', 'redirect_uris', 'trusted_peers', 'public', 'name', 'logo_url'],
  password: ['email', 'hash', 'username', 'user_id'],
  refresh_token: [
    'id',
    'client_id',
    'scopes',
    'nonce',
    'claims_user_id',
    'claims_username',
    'claims_preferred_username',
    'claims_email',
    'claims_email_verified',
    'claims_groups',
    'connector_id',
    'connector_data',
    'token',
    'created_at',
    'last_used',
  ],
  keys: ['id', 'verification_keys', 'signing_key', 'signing_key_pub', 'next_rotation'],
  offline_session: ['user_id', 'conn_id', 'refresh', 'connector_data'],
  connector: ['id', 'type', 'name', 'resource_version', 'config'],
};

/** Columns later migrations added: the version from which each must be there. */
const LATER_COLUMNS: readonly [version: number, table: string, column: string][] = [
  [12, 'password', 'preferred_username'],
  [12, 'password', 'groups'],
  [13, 'password', 'name'],
  [13, 'password', 'email_verified'],
];

/** A client as Dex stored it: the row sigil keeps, its secret still in plaintext. */
export type DexClient = Omit<DexClientRow, 'encrypted'>;

/** A password user as Dex stored it: the row sigil keeps, bcrypt hash as is. */
export type DexPassword = DexPasswordRow;

export interface DexRefresh {
  readonly id: string;
  readonly token: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly nonce: string;
  readonly userId: string;
  readonly username: string;
  readonly preferredUsername: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly groups: readonly string[];
  readonly connectorId: string;
  readonly connectorData: Buffer | null;
  readonly createdAt: Date;
  readonly lastUsed: Date;
}

export interface DexOfflineSession {
  readonly userId: string;
  readonly connectorId: string;
  /** client id → refresh token id */
  readonly refresh: ReadonlyMap<string, string>;
  readonly connectorData: Buffer | null;
}

export interface DexKeys {
  readonly signingKey: unknown;
  readonly signingKeyPub: unknown;
  readonly verificationKeys: readonly { readonly publicKey: unknown; readonly expiry: Date }[];
  readonly nextRotation: Date;
}

export interface DexConnector {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly config: unknown;
}

export interface DexData {
  readonly kind: DexSource['kind'];
  readonly version: number;
  readonly keys: DexKeys | undefined;
  readonly clients: readonly DexClient[];
  readonly passwords: readonly DexPassword[];
  readonly refreshTokens: readonly DexRefresh[];
  readonly offlineSessions: readonly DexOfflineSession[];
  readonly connectors: readonly DexConnector[];
}

const refused = (message: string) => new AppError('DEX_IMPORT_REFUSED', message);

async function schemaVersion(src: DexSource): Promise<number> {
  const tables = await src.tables();
  if (!tables.has('migrations'))
    throw refused(
      'this is not a Dex database: it has no migrations table (Dex creates it at its first start)',
    );
  const rows = await src.rows('SELECT max(num) AS n FROM migrations');
  const n = Number(rows[0]?.['n'] ?? 0);
  if (!Number.isInteger(n) || n <= 0)
    throw refused('the Dex database is half-written: its migrations table is empty');
  if (n > DEX_SCHEMA.max)
    throw refused(
      `Dex schema version ${String(n)} is newer than the ones sigil reads (${String(DEX_SCHEMA.min)}-${String(DEX_SCHEMA.max)}, up to Dex ${DEX_SCHEMA.newest}): import from a Dex ${DEX_SCHEMA.newest} database`,
    );
  if (n < DEX_SCHEMA.min)
    throw refused(
      `Dex schema version ${String(n)} is older than the ones sigil reads (${String(DEX_SCHEMA.min)}-${String(DEX_SCHEMA.max)}): start Dex ${DEX_SCHEMA.newest} on it once (it migrates its database), then import`,
    );
  for (const [table, cols] of Object.entries(TABLES)) {
    if (!tables.has(table))
      throw refused(
        `the Dex database is half-written: schema version ${String(n)} but no ${table} table`,
      );
    const have = await src.columns(table);
    const want = [
      ...cols,
      ...LATER_COLUMNS.filter(([v, t]) => t === table && v <= n).map(([, , c]) => c),
    ];
    const missing = want.filter((c) => !have.has(c));
    if (missing.length > 0)
      throw refused(
        `the Dex database is half-written: schema version ${String(n)} but ${table} has no ${missing.join(', ')}`,
      );
  }
  return n;
}

export async function readDex(src: DexSource): Promise<DexData> {
  const version = await schemaVersion(src);
  return {
    kind: src.kind,
    version,
    keys: await readKeys(src),
    clients: await readClients(src),
    passwords: await readPasswords(src, version),
    refreshTokens: await readRefreshTokens(src),
    offlineSessions: await readOfflineSessions(src),
    connectors: await readConnectors(src),
  };
}

async function readKeys(src: DexSource): Promise<DexKeys | undefined> {
  const rows = await src.rows(
    'SELECT id, verification_keys, signing_key, signing_key_pub, next_rotation FROM keys',
  );
  if (rows.length > 1) throw refused('the Dex keys table has more than one row');
  const row = rows[0];
  if (row === undefined) return undefined;
  const r = new RowReader('keys', String(row['id']), row);
  const vks = r.json('verification_keys');
  if (vks !== null && !Array.isArray(vks)) throw r.refuse('verification_keys is not a JSON array');
  return {
    signingKey: r.json('signing_key'),
    signingKeyPub: r.json('signing_key_pub'),
    verificationKeys: (vks ?? []).map((v: unknown) => {
      const o = v as { publicKey?: unknown; expiry?: unknown } | null;
      const expiry = typeof o?.expiry === 'string' ? new Date(o.expiry) : undefined;
      if (o === null || expiry === undefined || Number.isNaN(expiry.getTime()))
        throw r.refuse('a verification key has no publicKey and expiry');
      return { publicKey: o.publicKey, expiry };
    }),
    nextRotation: r.time('next_rotation'),
  };
}

async function readClients(src: DexSource): Promise<DexClient[]> {
  const rows = await src.rows(
    'SELECT id, secret, redirect_uris, trusted_peers, public, name, logo_url FROM client ORDER BY id',
  );
  return rows.map((row) => {
    const r = new RowReader('client', String(row['id']), row);
    return {
      id: r.text('id'),
      secret: r.text('secret'),
      redirectUris: r.strings('redirect_uris'),
      trustedPeers: r.strings('trusted_peers'),
      public: r.bool('public') ?? false,
      name: r.text('name'),
      logoUrl: r.text('logo_url'),
    };
  });
}

async function readPasswords(src: DexSource, version: number): Promise<DexPassword[]> {
  const extra = [
    ...(version >= 12 ? ['preferred_username', 'groups'] : []),
    ...(version >= 13 ? ['name', 'email_verified'] : []),
  ];
  const rows = await src.rows(
    `SELECT ${['email', 'hash', 'username', 'user_id', ...extra].join(', ')} FROM password ORDER BY email`,
  );
  return rows.map((row) => {
    const r = new RowReader('password', String(row['email']), row);
    return {
      email: r.text('email'),
      hash: (r.bytes('hash') ?? Buffer.alloc(0)).toString('utf8'),
      username: r.text('username'),
      preferredUsername: version >= 12 ? r.text('preferred_username') : '',
      userId: r.text('user_id'),
      name: version >= 13 ? r.text('name') : '',
      // Dex: NULL (older rows) means verified.
      emailVerified: version >= 13 ? (r.bool('email_verified') ?? true) : true,
      groups: version >= 12 ? r.strings('groups') : [],
    };
  });
}

async function readRefreshTokens(src: DexSource): Promise<DexRefresh[]> {
  const rows = await src.rows(
    `SELECT id, token, client_id, scopes, nonce, claims_user_id, claims_username,
            claims_preferred_username, claims_email, claims_email_verified, claims_groups,
            connector_id, connector_data, created_at, last_used
       FROM refresh_token ORDER BY id`,
  );
  return rows.map((row) => {
    const r = new RowReader('refresh_token', String(row['id']), row);
    return {
      id: r.text('id'),
      token: r.text('token'),
      clientId: r.text('client_id'),
      scopes: r.strings('scopes'),
      nonce: r.text('nonce'),
      userId: r.text('claims_user_id'),
      username: r.text('claims_username'),
      preferredUsername: r.text('claims_preferred_username'),
      email: r.text('claims_email'),
      emailVerified: r.bool('claims_email_verified') ?? false,
      groups: r.strings('claims_groups'),
      connectorId: r.text('connector_id'),
      connectorData: r.bytes('connector_data'),
      createdAt: r.time('created_at'),
      lastUsed: r.time('last_used'),
    };
  });
}

async function readOfflineSessions(src: DexSource): Promise<DexOfflineSession[]> {
  const rows = await src.rows(
    'SELECT user_id, conn_id, refresh, connector_data FROM offline_session ORDER BY user_id, conn_id',
  );
  return rows.map((row) => {
    const r = new RowReader(
      'offline_session',
      `${String(row['user_id'])}/${String(row['conn_id'])}`,
      row,
    );
    const refresh = r.json('refresh');
    if (refresh !== null && (typeof refresh !== 'object' || Array.isArray(refresh)))
      throw r.refuse('refresh is not a JSON object');
    const map = new Map<string, string>();
    for (const [clientId, ref] of Object.entries((refresh ?? {}) as Record<string, unknown>)) {
      const id = (ref as { ID?: unknown } | null)?.ID;
      if (typeof id !== 'string') throw r.refuse('refresh holds an entry with no ID');
      map.set(clientId, id);
    }
    return {
      userId: r.text('user_id'),
      connectorId: r.text('conn_id'),
      refresh: map,
      connectorData: r.bytes('connector_data'),
    };
  });
}

async function readConnectors(src: DexSource): Promise<DexConnector[]> {
  const rows = await src.rows('SELECT id, type, name, config FROM connector ORDER BY id');
  return rows.map((row) => {
    const r = new RowReader('connector', String(row['id']), row);
    return {
      id: r.text('id'),
      type: r.text('type'),
      name: r.text('name'),
      config: r.json('config'),
    };
  });
}
