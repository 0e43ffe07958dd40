import type { Queryable, SqlValue } from '../db.js';

/**
 * Sessions: one row per login (an oidc-provider grant and its refresh-token family), keyed by
 * the session id (`sid`). Inserted when the grant first yields tokens, touched (last use, in
 * batches) on refresh, ended once. Every replica reads and writes the same rows.
 */
export interface NewLoginSession {
  readonly id: string;
  readonly grantId: string;
  readonly sub: string;
  readonly clientId: string;
  readonly audiences: readonly string[];
  readonly grantType: string;
  readonly amr?: readonly string[] | undefined;
  readonly userAgent?: string | undefined;
  readonly device: string;
  readonly ip?: string | undefined;
  /** oidc-provider's browser session (its uid) the login came through, if any. */
  readonly browserSession?: string | undefined;
  readonly idleExpiresAt?: Date | undefined;
  readonly expiresAt: Date;
  /** When the login happened (default now). */
  readonly at?: Date;
}

export interface LoginSession {
  readonly id: string;
  readonly grantId: string;
  readonly sub: string;
  readonly connectorId: string;
  readonly username: string;
  readonly clientId: string;
  readonly audiences: readonly string[];
  readonly grantType: string;
  readonly amr: readonly string[] | undefined;
  readonly userAgent: string | undefined;
  readonly device: string;
  readonly ipFirst: string | undefined;
  readonly ipLast: string | undefined;
  readonly browserSession: string | undefined;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly idleExpiresAt: Date | undefined;
  readonly expiresAt: Date;
  readonly endedAt: Date | undefined;
  readonly endReason: string | undefined;
  readonly endedBy: Readonly<Record<string, unknown>> | undefined;
}

/** A use of a session (a refresh), as the coalescing tracker flushes it. */
export interface LoginSessionTouch {
  readonly id: string;
  readonly at: Date;
  readonly ip: string | undefined;
  readonly idleExpiresAt: Date | undefined;
}

export interface LoginSessionFilter {
  readonly sub?: string | undefined;
  /** As typed at login, compared case-insensitively. */
  readonly username?: string | undefined;
  readonly clientId?: string | undefined;
  /** Only sessions neither ended nor expired (default), or every one. */
  readonly activeOnly?: boolean;
  /** Newest use first; `after` is the cursor of the previous page (a session id). */
  readonly limit: number;
  readonly after?: string | undefined;
}

/** Which sessions to end. */
export type LoginSessionSelector =
  | { readonly id: string; readonly sub?: string }
  | {
      readonly subs: readonly string[];
      readonly clientId?: string | undefined;
      readonly exceptId?: string | undefined;
    };

export interface SessionEnd {
  readonly reason: string;
  readonly endedBy: Readonly<Record<string, unknown>>;
}

interface Row {
  id: string;
  grant_id: string;
  sub: string;
  connector_id: string;
  username: string;
  client_id: string;
  audiences: string[];
  grant_type: string;
  amr: string[] | null;
  user_agent: string | null;
  device: string;
  ip_first: string | null;
  ip_last: string | null;
  browser_session: string | null;
  created_at: Date;
  last_used_at: Date;
  idle_expires_at: Date | null;
  expires_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
  ended_by: Record<string, unknown> | null;
}

const COLUMNS = `id, grant_id, sub, connector_id, username, client_id, audiences, grant_type, amr,
  user_agent, device, ip_first, ip_last, browser_session, created_at, last_used_at,
  idle_expires_at, expires_at, ended_at, end_reason, ended_by`;

const opt = <T>(v: T | null): T | undefined => v ?? undefined;
const date = (v: Date | string): Date => new Date(v);

function toSession(r: Row): LoginSession {
  return {
    id: r.id,
    grantId: r.grant_id,
    sub: r.sub,
    connectorId: r.connector_id,
    username: r.username,
    clientId: r.client_id,
    audiences: r.audiences,
    grantType: r.grant_type,
    amr: opt(r.amr),
    userAgent: opt(r.user_agent),
    device: r.device,
    ipFirst: opt(r.ip_first),
    ipLast: opt(r.ip_last),
    browserSession: opt(r.browser_session),
    createdAt: date(r.created_at),
    lastUsedAt: date(r.last_used_at),
    idleExpiresAt: r.idle_expires_at === null ? undefined : date(r.idle_expires_at),
    expiresAt: date(r.expires_at),
    endedAt: r.ended_at === null ? undefined : date(r.ended_at),
    endReason: opt(r.end_reason),
    endedBy: opt(r.ended_by),
  };
}

/**
 * Records a login. The connector and username come from the identity the login just saved.
 * A second insert of the same session (a retried request) changes nothing.
 */
export async function insertLoginSession(q: Queryable, s: NewLoginSession): Promise<void> {
  const at = s.at ?? new Date();
  await q.query(
    `INSERT INTO login_sessions (id, grant_id, sub, connector_id, username, client_id, audiences,
       grant_type, amr, user_agent, device, ip_first, ip_last, browser_session, created_at,
       last_used_at, idle_expires_at, expires_at)
     SELECT $1::text, $2::text, $3::text, i.connector_id, i.username, $4::text, $5::jsonb,
            $6::text, $7::jsonb, $8::text, $9::text, $10::text, $10::text, $11::text,
            $12::timestamptz, $12::timestamptz, $13::timestamptz, $14::timestamptz
       FROM identities i WHERE i.sub = $3
     ON CONFLICT (id) DO NOTHING`,
    [
      s.id,
      s.grantId,
      s.sub,
      s.clientId,
      JSON.stringify(s.audiences),
      s.grantType,
      s.amr === undefined ? null : JSON.stringify(s.amr),
      s.userAgent ?? null,
      s.device,
      s.ip ?? null,
      s.browserSession ?? null,
      at,
      s.idleExpiresAt ?? null,
      s.expiresAt,
    ],
  );
}

/** Records many uses in one statement (the tracker's periodic flush). */
export async function touchLoginSessions(
  q: Queryable,
  touches: readonly LoginSessionTouch[],
): Promise<void> {
  if (touches.length === 0) return;
  await q.query(
    `UPDATE login_sessions s
        SET last_used_at = GREATEST(s.last_used_at, v.at),
            ip_last = COALESCE(v.ip, s.ip_last),
            idle_expires_at = COALESCE(v.idle, s.idle_expires_at)
       FROM (SELECT * FROM jsonb_to_recordset($1::jsonb)
               AS t(id text, at timestamptz, ip text, idle timestamptz)) v
      WHERE s.id = v.id AND s.ended_at IS NULL`,
    [
      JSON.stringify(
        touches.map((t) => ({
          id: t.id,
          at: t.at.toISOString(),
          ip: t.ip ?? null,
          idle: t.idleExpiresAt?.toISOString() ?? null,
        })),
      ),
    ],
  );
}

const ACTIVE = `ended_at IS NULL AND expires_at > now()
  AND (idle_expires_at IS NULL OR idle_expires_at > now())`;

/** Sessions matching `f`, most recently used first (then by id, for stable pages). */
export async function listLoginSessions(
  q: Queryable,
  f: LoginSessionFilter,
): Promise<LoginSession[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: (p: string) => string, value: string) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (f.sub !== undefined) add((p) => `sub = ${p}`, f.sub);
  if (f.username !== undefined) add((p) => `lower(username) = lower(${p})`, f.username);
  if (f.clientId !== undefined) add((p) => `client_id = ${p}`, f.clientId);
  if (f.activeOnly !== false) where.push(ACTIVE);
  if (f.after !== undefined)
    add(
      (p) => `(last_used_at, id) < (SELECT last_used_at, id FROM login_sessions WHERE id = ${p})`,
      f.after,
    );
  params.push(f.limit);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM login_sessions
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY last_used_at DESC, id DESC
      LIMIT $${params.length}`,
    params,
  );
  return rows.map(toSession);
}

export async function findLoginSession(
  q: Queryable,
  id: string,
): Promise<LoginSession | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM login_sessions WHERE id = $1`, [id]);
  const row = rows[0];
  return row === undefined ? undefined : toSession(row);
}

/**
 * Ends the selected sessions that are still active, at once and only once (a concurrent end
 * of the same session returns it to one caller only). Returns what it ended.
 */
export async function endLoginSessions(
  q: Queryable,
  selector: LoginSessionSelector,
  end: SessionEnd,
): Promise<LoginSession[]> {
  const params: SqlValue[] = [end.reason, JSON.stringify(end.endedBy)];
  const where: string[] = [ACTIVE];
  const add = (sql: (p: string) => string, value: SqlValue) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if ('id' in selector) {
    add((p) => `id = ${p}`, selector.id);
    if (selector.sub !== undefined) add((p) => `sub = ${p}`, selector.sub);
  } else {
    if (selector.subs.length === 0) return [];
    add(
      (p) => `sub IN (SELECT jsonb_array_elements_text(${p}::jsonb))`,
      JSON.stringify(selector.subs),
    );
    if (selector.clientId !== undefined) add((p) => `client_id = ${p}`, selector.clientId);
    if (selector.exceptId !== undefined) add((p) => `id <> ${p}`, selector.exceptId);
  }
  const { rows } = await q.query<Row>(
    `UPDATE login_sessions SET ended_at = now(), end_reason = $1, ended_by = $2::jsonb
      WHERE ${where.join(' AND ')}
      RETURNING ${COLUMNS}`,
    params,
  );
  return rows.map(toSession);
}

/** Sessions neither ended nor expired (the sigil_sessions_active gauge). */
export async function countActiveLoginSessions(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM login_sessions WHERE ${ACTIVE}`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * When the login of `grantId` passed a second factor (the login's start, amr `mfa`), if it
 * did and is not ended: the factor time of an API caller's access token.
 */
export async function mfaLoginTime(q: Queryable, grantId: string): Promise<Date | undefined> {
  const { rows } = await q.query<{ created_at: Date | string }>(
    `SELECT created_at FROM login_sessions
      WHERE grant_id = $1 AND ended_at IS NULL AND amr @> '["mfa"]'::jsonb`,
    [grantId],
  );
  return rows[0] === undefined ? undefined : new Date(rows[0].created_at);
}
