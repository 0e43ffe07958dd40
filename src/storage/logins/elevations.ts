import type { Queryable, SqlValue } from '../db.js';
import type { RevocationActor } from './revocations.js';

/**
 * The login_elevations table (migrations/0009): just-in-time elevation requests and grants
 * (issue 16). Decisions, endings and expiry are conditional UPDATEs that return the row they
 * changed: of two replicas approving the same request, one gets the row and the other nothing.
 * The service (src/security/elevation/) turns "nothing" into the right refusal.
 */
/**
 * `pending`: asked, not decided; `active`: approved and not yet over; `denied`; `expired`: a
 * pending request nobody decided in time, or an active grant that reached its end; `ended`:
 * ended early by the requester, an approver or an admin. A row whose deadline has passed reads
 * as `expired` even before the sweeper has written it so.
 */
export type StoredElevationState = 'pending' | 'active' | 'denied' | 'expired' | 'ended';

export interface StoredElevation {
  /** Opaque id: `el_` + 22 base64url characters (128 random bits). */
  readonly id: string;
  readonly sub: string;
  readonly username: string;
  readonly role: string;
  /** The group the id_tokens carry while the grant is active (the role's `group`). */
  readonly group: string;
  /** The clusters (config names) whose tokens carry the group; empty: every client. */
  readonly clusters: readonly string[];
  readonly reason: string;
  /** The duration asked for (and granted), seconds. */
  readonly durationSec: number;
  readonly state: StoredElevationState;
  readonly requestedAt: Date;
  /** A pending request expires here (elevation.pendingTimeout after it was made). */
  readonly pendingUntil: Date;
  readonly decidedAt: Date | undefined;
  readonly decidedBy: RevocationActor | undefined;
  /** The approver's comment (approve or deny). */
  readonly comment: string | undefined;
  /** Set when approved: the grant runs from startsAt to endsAt (startsAt + durationSec). */
  readonly startsAt: Date | undefined;
  readonly endsAt: Date | undefined;
  readonly endedAt: Date | undefined;
  readonly endedBy: RevocationActor | undefined;
  /** The logins (`sid`) whose id_tokens carried the group. */
  readonly sids: readonly string[];
}

/** A request as it is filed: the row's identifying fields, before any decision. */
export type NewElevation = Pick<
  StoredElevation,
  | 'id'
  | 'sub'
  | 'username'
  | 'role'
  | 'group'
  | 'clusters'
  | 'reason'
  | 'durationSec'
  | 'requestedAt'
  | 'pendingUntil'
>;

export interface StoredElevationFilter {
  readonly sub?: string | undefined;
  readonly username?: string | undefined;
  /** States as stored; a row past its deadline counts as `expired` (see stateSql). */
  readonly states?: readonly StoredElevationState[] | undefined;
  readonly limit: number;
  /** Cursor: the id of the previous page's last row. */
  readonly after?: string | undefined;
}

type Stamp = Date | string | null;
interface Row {
  id: string;
  sub: string;
  username: string;
  role: string;
  group_name: string;
  clusters: string[] | null;
  reason: string;
  duration_sec: number;
  state: StoredElevationState;
  requested_at: Date | string;
  pending_until: Date | string;
  decided_at: Stamp;
  decided_by: { kind?: string; id?: string } | null;
  comment: string | null;
  starts_at: Stamp;
  ends_at: Stamp;
  ended_at: Stamp;
  ended_by: { kind?: string; id?: string } | null;
  sids: string[] | null;
}

/** The state a row reads as at `$now`: past its deadline it is expired, swept or not. */
const stateSql = (now: string): string => `CASE
    WHEN state = 'pending' AND pending_until <= ${now} THEN 'expired'
    WHEN state = 'active' AND ends_at <= ${now} THEN 'expired'
    ELSE state END`;

const COLUMNS = `id, sub, username, role, group_name, clusters, reason, duration_sec, state,
  requested_at, pending_until, decided_at, decided_by, comment, starts_at, ends_at, ended_at,
  ended_by, sids`;

const stamp = (v: Stamp): Date | undefined => (v === null ? undefined : new Date(v));

function actor(v: { kind?: string; id?: string } | null): RevocationActor | undefined {
  return v?.kind === undefined || v.id === undefined
    ? undefined
    : ({ kind: v.kind, id: v.id } as RevocationActor);
}

/** A row as read at `now`: an overdue pending or active row is `expired` already. */
export function elevationFromRow(r: Row, now: Date): StoredElevation {
  const pendingUntil = new Date(r.pending_until);
  const endsAt = stamp(r.ends_at);
  const overdue =
    (r.state === 'pending' && pendingUntil <= now) ||
    (r.state === 'active' && endsAt !== undefined && endsAt <= now);
  return {
    id: r.id,
    sub: r.sub,
    username: r.username,
    role: r.role,
    group: r.group_name,
    clusters: r.clusters ?? [],
    reason: r.reason,
    durationSec: r.duration_sec,
    state: overdue ? 'expired' : r.state,
    requestedAt: new Date(r.requested_at),
    pendingUntil,
    decidedAt: stamp(r.decided_at),
    decidedBy: actor(r.decided_by),
    comment: r.comment ?? undefined,
    startsAt: stamp(r.starts_at),
    endsAt,
    endedAt: stamp(r.ended_at),
    endedBy: actor(r.ended_by),
    sids: r.sids ?? [],
  };
}

export async function insertElevation(q: Queryable, e: NewElevation): Promise<StoredElevation> {
  const { rows } = await q.query<Row>(
    `INSERT INTO login_elevations (id, sub, username, role, group_name, clusters, reason,
       duration_sec, state, requested_at, pending_until)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, 'pending', $9, $10)
     RETURNING ${COLUMNS}`,
    [
      e.id,
      e.sub,
      e.username,
      e.role,
      e.group,
      [...e.clusters],
      e.reason,
      e.durationSec,
      e.requestedAt,
      e.pendingUntil,
    ],
  );
  return elevationFromRow(rows[0] as Row, e.requestedAt);
}

export async function findElevation(
  q: Queryable,
  id: string,
  now: Date,
): Promise<StoredElevation | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM login_elevations WHERE id = $1`, [
    id,
  ]);
  return rows[0] === undefined ? undefined : elevationFromRow(rows[0], now);
}

export interface ElevationDecision {
  readonly approve: boolean;
  readonly by: RevocationActor;
  readonly comment?: string | undefined;
  readonly now: Date;
}

/**
 * Approves (active from now for its duration) or denies a pending request whose deadline has
 * not passed. Undefined when it was not pending any more (decided, ended, expired): the
 * caller reads the row again to say why. One statement: two deciders never both win.
 */
export async function decideElevation(
  q: Queryable,
  id: string,
  d: ElevationDecision,
): Promise<StoredElevation | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE login_elevations
        SET state = CASE WHEN $2::boolean THEN 'active' ELSE 'denied' END,
            decided_at = $3, decided_by = $4::jsonb, comment = $5,
            starts_at = CASE WHEN $2::boolean THEN $3 END,
            ends_at = CASE WHEN $2::boolean
                           THEN $3::timestamptz + duration_sec * interval '1 second' END
      WHERE id = $1 AND state = 'pending' AND pending_until > $3
      RETURNING ${COLUMNS}`,
    [id, d.approve, d.now, JSON.stringify(d.by), d.comment ?? null],
  );
  return rows[0] === undefined ? undefined : elevationFromRow(rows[0], d.now);
}

/**
 * Ends an active grant early, or withdraws a pending request (both become `ended`). Undefined
 * when it was neither (any more). `wasActive`: a grant ended (a pending row has no start), so
 * the caller writes deny entries for its sids.
 */
export async function endElevation(
  q: Queryable,
  id: string,
  by: RevocationActor,
  now: Date,
  comment?: string,
): Promise<{ ended: StoredElevation; wasActive: boolean } | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE login_elevations
        SET state = 'ended', ended_at = $2, ended_by = $3::jsonb, comment = coalesce($4, comment)
      WHERE id = $1
        AND ((state = 'active' AND ends_at > $2) OR (state = 'pending' AND pending_until > $2))
      RETURNING ${COLUMNS}`,
    [id, now, JSON.stringify(by), comment ?? null],
  );
  const r = rows[0];
  return r === undefined
    ? undefined
    : { ended: elevationFromRow(r, now), wasActive: r.starts_at !== null };
}

/** Newest first, paged by id (the cursor is the previous page's last id). */
export async function listElevations(
  q: Queryable,
  f: StoredElevationFilter,
  now: Date,
): Promise<StoredElevation[]> {
  const params: SqlValue[] = [];
  const where: string[] = [];
  const add = (sql: (n: string) => string, v: SqlValue) => {
    params.push(v);
    where.push(sql(`$${params.length}`));
  };
  if (f.sub !== undefined) add((n) => `sub = ${n}`, f.sub);
  if (f.username !== undefined) add((n) => `lower(username) = lower(${n})`, f.username);
  if (f.states !== undefined) {
    params.push(now);
    const at = `$${String(params.length)}::timestamptz`;
    add((n) => `(${stateSql(at)}) = ANY(${n}::text[])`, [...f.states]);
  }
  if (f.after !== undefined)
    add(
      (n) => `(requested_at, id) < (SELECT requested_at, id FROM login_elevations WHERE id = ${n})`,
      f.after,
    );
  params.push(f.limit);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM login_elevations
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY requested_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => elevationFromRow(r, now));
}

/** Pending requests for any of `roles`, not `sub`'s own, oldest first. */
export async function pendingElevations(
  q: Queryable,
  roles: readonly string[],
  notSub: string,
  now: Date,
): Promise<StoredElevation[]> {
  if (roles.length === 0) return [];
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM login_elevations
      WHERE state = 'pending' AND pending_until > $1 AND role = ANY($2::text[]) AND sub <> $3
      ORDER BY requested_at, id LIMIT 500`,
    [now, [...roles], notSub],
  );
  return rows.map((r) => elevationFromRow(r, now));
}

/**
 * Overdue pending requests and active grants become `expired`, once: the replica whose UPDATE
 * changed a row gets it back (and audits it), the others do not.
 */
export async function expireElevations(
  q: Queryable,
  now: Date,
  limit = 500,
): Promise<{ elevation: StoredElevation; was: 'pending' | 'active' }[]> {
  const { rows } = await q.query<Row & { was: 'pending' | 'active' }>(
    `UPDATE login_elevations e
        SET state = 'expired', ended_at = CASE WHEN e.state = 'active' THEN e.ends_at END
      WHERE e.id IN (
        SELECT id FROM login_elevations
         WHERE (state = 'pending' AND pending_until <= $1) OR (state = 'active' AND ends_at <= $1)
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
        AND e.state IN ('pending', 'active')
      RETURNING ${COLUMNS.split(',')
        .map((c) => `e.${c.trim()}`)
        .join(', ')}, CASE WHEN e.starts_at IS NULL THEN 'pending' ELSE 'active' END AS was`,
    [now, limit],
  );
  return rows.map((r) => ({ elevation: elevationFromRow(r, now), was: r.was }));
}

/**
 * Remembers that login `sid` got tokens carrying these grants' groups (for the deny entries
 * of an early end). Writes only the rows that do not list it yet; returns how many.
 */
export async function addElevationSid(
  q: Queryable,
  ids: readonly string[],
  sid: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  const { rowCount } = await q.query(
    `UPDATE login_elevations SET sids = array_append(sids, $2)
      WHERE id = ANY($1::text[]) AND state = 'active' AND NOT ($2 = ANY(sids))`,
    [[...ids], sid],
  );
  return rowCount;
}

/**
 * A grant as the identities read brings it (findIdentity, the token path): the active ones,
 * and those ended early in the last few seconds (`state: 'ended'`), so that the token path can
 * hold a refresh of the same second back until the deny entries' second has passed.
 */
export interface ActiveElevation {
  readonly id: string;
  readonly state: 'active' | 'ended';
  readonly role: string;
  readonly group: string;
  readonly clusters: readonly string[];
  readonly endsAt: Date;
  readonly endedAt?: Date | undefined;
  readonly sids: readonly string[];
}

/**
 * SQL of a column holding `sub`'s grants (ActiveElevation) as a JSON array (null when none),
 * for the identities row aliased `t`: the token path gets them with the identity, in the same
 * statement.
 */
export function activeElevationsColumn(t: string): string {
  return `(SELECT json_agg(json_build_object('id', e.id, 'state', e.state, 'role', e.role,
             'group', e.group_name, 'clusters', e.clusters, 'endsAt', e.ends_at,
             'endedAt', e.ended_at, 'sids', e.sids) ORDER BY e.ends_at)
             FROM login_elevations e
            WHERE e.sub = ${t}.sub
              AND ((e.state = 'active' AND e.ends_at > now())
                OR (e.state = 'ended' AND e.ended_at > now() - interval '5 seconds')))`;
}

/** The grants of an activeElevationsColumn value. */
export function activeElevationsFrom(value: unknown): ActiveElevation[] {
  if (!Array.isArray(value)) return [];
  return value.map((v: Record<string, unknown>) => ({
    id: String(v['id']),
    state: v['state'] === 'active' ? 'active' : 'ended',
    role: String(v['role']),
    group: String(v['group']),
    clusters: Array.isArray(v['clusters']) ? (v['clusters'] as string[]) : [],
    endsAt: new Date(v['endsAt'] as string),
    endedAt: typeof v['endedAt'] === 'string' ? new Date(v['endedAt']) : undefined,
    sids: Array.isArray(v['sids']) ? (v['sids'] as string[]) : [],
  }));
}
