import { LOCKS, type Db, type Queryable } from './db.js';
import type { BatchLimits } from '../lib/index.js';
import { pruneUnderLock, type PruneResult } from './prune.js';

/**
 * The audit_events table: append-only (an UPDATE trigger refuses changes), pruned by age in
 * bounded batches. What goes in is decided by src/security/audit.ts, which also scrubs it;
 * this file only moves rows.
 */
export type AuditOutcome = 'success' | 'failure' | 'locked' | 'denied';

export interface NewAuditEvent {
  /** `login`, `token.issued`, `token.refreshed`, `token.refresh_denied`, `token.revoked`, `logout`, `key.rotated`, `admin.<action>`, ... */
  readonly event: string;
  readonly outcome: AuditOutcome;
  readonly username?: string | undefined;
  readonly sub?: string | undefined;
  readonly clientId?: string | undefined;
  readonly ip?: string | undefined;
  /** Machine-readable why: `bad_password`, `unknown_user`, `locked`, `disabled`, `directory_down`, ... */
  readonly reason?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

export interface AuditRecord {
  readonly id: string;
  readonly at: Date;
  readonly event: string;
  readonly outcome: AuditOutcome;
  readonly username: string | undefined;
  readonly sub: string | undefined;
  readonly clientId: string | undefined;
  readonly ip: string | undefined;
  readonly reason: string | undefined;
  readonly details: Record<string, unknown>;
}

export interface AuditQuery {
  /** Case-insensitive username. */
  readonly username?: string | undefined;
  readonly sub?: string | undefined;
  readonly clientId?: string | undefined;
  /** Event name, or a prefix ending in `.` or `*` (`token.*`). */
  readonly event?: string | undefined;
  readonly outcome?: AuditOutcome | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  /** Only events older than this one (its id): the API's page cursor. */
  readonly beforeId?: string | undefined;
  /** The newest `limit` matching events are returned, oldest first. */
  readonly limit: number;
}

interface Row {
  id: string | number;
  at: Date | string;
  event: string;
  outcome: AuditOutcome;
  username: string | null;
  sub: string | null;
  client_id: string | null;
  ip: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
}

/** An event with the time it happened (rows written later in a batch keep their own time). */
export type TimedAuditEvent = NewAuditEvent & { readonly at: Date };

/** Several events in one statement (the batched audit writer), each with its own time. */
export async function insertAuditEvents(
  db: Queryable,
  events: readonly TimedAuditEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    at: e.at.toISOString(),
    event: e.event,
    outcome: e.outcome,
    username: e.username ?? null,
    sub: e.sub ?? null,
    client_id: e.clientId ?? null,
    ip: e.ip ?? null,
    reason: e.reason ?? null,
    details: e.details ?? {},
  }));
  await db.query(
    `INSERT INTO audit_events (at, event, outcome, username, sub, client_id, ip, reason, details)
     SELECT at, event, outcome, username, sub, client_id, ip, reason, details
       FROM jsonb_to_recordset($1::jsonb) AS x(at timestamptz, event text, outcome text,
            username text, sub text, client_id text, ip text, reason text, details jsonb)`,
    [JSON.stringify(rows)],
  );
}

export async function insertAuditEvent(db: Queryable, e: NewAuditEvent): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (event, outcome, username, sub, client_id, ip, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      e.event,
      e.outcome,
      e.username ?? null,
      e.sub ?? null,
      e.clientId ?? null,
      e.ip ?? null,
      e.reason ?? null,
      e.details ?? {},
    ],
  );
}

export async function queryAuditEvents(db: Queryable, q: AuditQuery): Promise<AuditRecord[]> {
  const where: string[] = [];
  const params: (string | Date | number)[] = [];
  const add = (sql: (p: string) => string, value: string | Date) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (q.username !== undefined) add((p) => `lower(username) = lower(${p})`, q.username);
  if (q.sub !== undefined) add((p) => `sub = ${p}`, q.sub);
  if (q.clientId !== undefined) add((p) => `client_id = ${p}`, q.clientId);
  if (q.outcome !== undefined) add((p) => `outcome = ${p}`, q.outcome);
  if (q.event !== undefined) {
    const prefix = q.event.endsWith('*') ? q.event.slice(0, -1) : q.event;
    if (q.event.endsWith('*') || q.event.endsWith('.'))
      add((p) => `starts_with(event, ${p})`, prefix);
    else add((p) => `event = ${p}`, q.event);
  }
  if (q.since !== undefined) add((p) => `at >= ${p}`, q.since);
  if (q.until !== undefined) add((p) => `at < ${p}`, q.until);
  if (q.beforeId !== undefined) add((p) => `id < ${p}::bigint`, q.beforeId);
  params.push(q.limit);
  const { rows } = await db.query<Row>(
    `SELECT id, at, event, outcome, username, sub, client_id, ip, reason, details
       FROM audit_events
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY at DESC, id DESC
      LIMIT $${params.length}`,
    params,
  );
  return rows.reverse().map((r) => ({
    id: String(r.id),
    at: new Date(r.at),
    event: r.event,
    outcome: r.outcome,
    username: r.username ?? undefined,
    sub: r.sub ?? undefined,
    clientId: r.client_id ?? undefined,
    ip: r.ip ?? undefined,
    reason: r.reason ?? undefined,
    details: r.details ?? {},
  }));
}

/**
 * Deletes audit events older than `before` in batches of `batchSize` (at most `maxBatches`
 * per call; the next call continues), one replica at a time, like the oidc_payload GC.
 */
export async function pruneAuditEvents(
  db: Db,
  before: Date,
  opts: BatchLimits = {},
): Promise<PruneResult> {
  return pruneUnderLock(
    db,
    LOCKS.auditPrune,
    {
      sql: `DELETE FROM audit_events WHERE id IN (
              SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)`,
      params: (batchSize) => [before, batchSize],
    },
    opts,
  );
}
