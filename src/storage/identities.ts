import { AppError } from '../errors.js';
import type { Queryable } from './db.js';

/**
 * What storage needs of a connector's identity (connectors' Identity): the stable id, the
 * username, and the connector's opaque data. The other claims are kept as they come.
 */
export interface IdentityRecord {
  readonly userId: string;
  readonly username: string;
  readonly connectorData?: Readonly<Record<string, unknown>>;
}

/**
 * The people sigil has seen: `sub` → the connector that owns it and the identity it last
 * returned. findAccount reads it to answer for a `sub`; refresh re-checks the connector and
 * writes it again when it changed (`updated_at`: when it last changed).
 */
export interface StoredIdentity {
  readonly sub: string;
  readonly connectorId: string;
  /** The identity as the connector last returned it. */
  readonly identity: IdentityRecord & Readonly<Record<string, unknown>>;
  readonly updatedAt: Date;
}

interface Row {
  sub: string;
  connector_id: string;
  claims: IdentityRecord & Record<string, unknown>;
  connector_data: Record<string, unknown> | null;
  updated_at: Date;
}

export async function saveIdentity(
  db: Queryable,
  connectorId: string,
  identity: IdentityRecord,
): Promise<void> {
  const { connectorData, ...claims } = identity;
  const { rows } = await db.query<{ connector_id: string }>(
    `INSERT INTO identities (sub, connector_id, username, claims, connector_data, updated_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (sub) DO UPDATE SET username = EXCLUDED.username, claims = EXCLUDED.claims,
       connector_data = EXCLUDED.connector_data, updated_at = now()
       WHERE identities.connector_id = EXCLUDED.connector_id
     RETURNING connector_id`,
    [identity.userId, connectorId, identity.username, claims, connectorData ?? null],
  );
  if (rows.length === 0) {
    throw new AppError(
      'ACCOUNT_CONFLICT',
      `connector ${connectorId} returned a user id that another connector already owns`,
    );
  }
}

export async function findIdentity(
  db: Queryable,
  sub: string,
): Promise<StoredIdentity | undefined> {
  const { rows } = await db.query<Row>(
    'SELECT sub, connector_id, claims, connector_data, updated_at FROM identities WHERE sub = $1',
    [sub],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    sub: row.sub,
    connectorId: row.connector_id,
    identity: {
      ...row.claims,
      ...(row.connector_data === null ? {} : { connectorData: row.connector_data }),
    },
    updatedAt: new Date(row.updated_at),
  };
}

/** The `sub`s of a username as typed at login (case-insensitively; one per connector). */
export async function subsOfUsername(db: Queryable, username: string): Promise<string[]> {
  const { rows } = await db.query<{ sub: string }>(
    'SELECT sub FROM identities WHERE lower(username) = lower($1) ORDER BY sub',
    [username],
  );
  return rows.map((r) => r.sub);
}

/** A person sigil has seen, for the admin API's user list. */
export interface SeenUser {
  readonly sub: string;
  readonly username: string;
  readonly connectorId: string;
  /** The last login recorded in login_sessions (undefined before sessions were recorded). */
  readonly lastLogin: Date | undefined;
}

/** People sigil has seen, by `sub`; `after` is the previous page's last `sub`. */
export async function listSeenUsers(
  db: Queryable,
  f: { username?: string | undefined; limit: number; after?: string | undefined },
): Promise<SeenUser[]> {
  const params: (string | number)[] = [];
  const where: string[] = [];
  if (f.username !== undefined) {
    params.push(f.username);
    where.push(`lower(i.username) = lower($${params.length})`);
  }
  if (f.after !== undefined) {
    params.push(f.after);
    where.push(`i.sub > $${params.length}`);
  }
  params.push(f.limit);
  const { rows } = await db.query<{
    sub: string;
    username: string;
    connector_id: string;
    last_login: Date | string | null;
  }>(
    `SELECT i.sub, i.username, i.connector_id,
            (SELECT max(s.created_at) FROM login_sessions s WHERE s.sub = i.sub) AS last_login
       FROM identities i
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY i.sub
      LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    sub: r.sub,
    username: r.username,
    connectorId: r.connector_id,
    lastLogin: r.last_login === null ? undefined : new Date(r.last_login),
  }));
}
