import { AppError } from '../errors.js';
import type { Queryable } from './db.js';
import {
  activeElevationsColumn,
  activeElevationsFrom,
  type ActiveElevation,
} from './logins/index.js';
import { memoKeys, type RequestMemo } from './read-memo.js';

/**
 * What storage needs of a connector's identity (connectors' Identity): the stable id, the
 * username, and the connector's opaque data. The other claims are kept as they come.
 */
export interface IdentityRecord {
  readonly userId: string;
  /** The `sub` when it is not userId (a connector with `subjectFormat: dex`). */
  readonly subject?: string;
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
  /** When a connector last confirmed the person (at most a minute behind; see 0008_perf.sql). */
  readonly checkedAt: Date;
  /** The directory refused the person at a refresh, and nothing has confirmed them since. */
  readonly refused?: { readonly at: Date; readonly reason: string };
  /** The person's active elevation grants (issue 16), read in the same statement. */
  readonly elevations: readonly ActiveElevation[];
}

/** The columns a StoredIdentity is read from, for a table aliased `t` (joins use the prefix). */
export function identityColumns(t: string, prefix = ''): string {
  return ['sub', 'connector_id', 'claims', 'connector_data', 'updated_at', 'checked_at']
    .concat(['refused_at', 'refused_reason'])
    .map((c) => `${t}.${c} AS ${prefix}${c}`)
    .concat(`${activeElevationsColumn(t)} AS ${prefix}elevations`)
    .join(', ');
}

type Row = Record<string, unknown>;

/** The identity in a row read with identityColumns(…, prefix); undefined when the join found none. */
export function identityFromRow(row: Row, prefix = ''): StoredIdentity | undefined {
  const col = (c: string) => row[`${prefix}${c}`];
  const sub = col('sub');
  if (typeof sub !== 'string') return undefined;
  const claims = col('claims') as IdentityRecord & Record<string, unknown>;
  const data = col('connector_data') as Record<string, unknown> | null;
  const updatedAt = new Date(col('updated_at') as Date | string);
  const checked = col('checked_at') as Date | string | null;
  const refusedAt = col('refused_at') as Date | string | null;
  return {
    sub,
    connectorId: col('connector_id') as string,
    identity: { ...claims, ...(data === null ? {} : { connectorData: data }) },
    updatedAt,
    checkedAt: checked === null ? updatedAt : new Date(checked),
    elevations: activeElevationsFrom(col('elevations')),
    ...(refusedAt === null
      ? {}
      : {
          refused: {
            at: new Date(refusedAt),
            reason: (col('refused_reason') as string | null) ?? '',
          },
        }),
  };
}

/** Saves what a connector returned (a login, or a refresh that found a change): confirmed now. */
export async function saveIdentity(
  db: Queryable,
  connectorId: string,
  identity: IdentityRecord,
  memo?: RequestMemo,
): Promise<void> {
  const { connectorData, ...claims } = identity;
  memo?.delete(memoKeys.identity(identity.userId));
  const { rows } = await db.query<{ connector_id: string }>(
    `INSERT INTO identities (sub, connector_id, username, claims, connector_data, updated_at, checked_at)
     VALUES ($1, $2, $3, $4, $5, now(), now())
     ON CONFLICT (sub) DO UPDATE SET username = EXCLUDED.username, claims = EXCLUDED.claims,
       connector_data = EXCLUDED.connector_data, updated_at = now(), checked_at = now(),
       refused_at = NULL, refused_reason = NULL
       WHERE identities.connector_id = EXCLUDED.connector_id
     RETURNING connector_id`,
    [
      identity.subject ?? identity.userId,
      connectorId,
      identity.username,
      claims,
      connectorData ?? null,
    ],
  );
  if (rows.length === 0) {
    throw new AppError(
      'ACCOUNT_CONFLICT',
      `connector ${connectorId} returned a user id that another connector already owns`,
    );
  }
}

/** The connector confirmed the person and nothing changed: only the time of the check. */
export async function markIdentityChecked(
  db: Queryable,
  sub: string,
  memo?: RequestMemo,
): Promise<void> {
  memo?.delete(memoKeys.identity(sub));
  await db.query(
    'UPDATE identities SET checked_at = now(), refused_at = NULL, refused_reason = NULL WHERE sub = $1',
    [sub],
  );
}

/** The directory refused the person at a refresh: never served from the last-known identity. */
export async function markIdentityRefused(
  db: Queryable,
  sub: string,
  reason: string,
  memo?: RequestMemo,
): Promise<void> {
  memo?.delete(memoKeys.identity(sub));
  await db.query(
    'UPDATE identities SET refused_at = now(), refused_reason = $2 WHERE sub = $1 AND refused_at IS NULL',
    [sub, reason],
  );
}

/** The stored identity of `sub`; within a request that already read it, without a statement. */
export async function findIdentity(
  db: Queryable,
  sub: string,
  memo?: RequestMemo,
): Promise<StoredIdentity | undefined> {
  const known = memo?.get(memoKeys.identity(sub));
  if (known !== undefined) return reviveIdentity(known.value);
  const { rows } = await db.query<Row>(
    `SELECT ${identityColumns('t')} FROM identities t WHERE t.sub = $1`,
    [sub],
  );
  const found = rows[0] === undefined ? undefined : identityFromRow(rows[0]);
  memo?.set(memoKeys.identity(sub), found ?? null);
  return found;
}

/** A memo copy keeps its Dates (structuredClone does); null is "read, and absent". */
function reviveIdentity(value: unknown): StoredIdentity | undefined {
  return value === null ? undefined : (value as StoredIdentity);
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
