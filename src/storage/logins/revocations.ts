import { AppError } from '../../errors.js';
import type { Queryable } from '../db.js';

/**
 * The login_revocations table (migrations/0005): deny entries for tokens already issued,
 * which each cluster's AuthenticationConfiguration turns into claimValidationRules. Who writes
 * them: the revocation service (src/security/revocation/), called by every trigger (a session
 * ended, a directory account gone at refresh, a reused refresh token, a revoked signing key).
 * Every entry carries `keepUntil`, after which no token it targets can still be valid; the
 * live list is what `keepUntil` has not passed, and `pruneRevocations` deletes the rest.
 */
export type RevocationKind = 'session' | 'subject' | 'window';

/** Who caused an entry, in the audit vocabulary (`details.actor`). */
export interface RevocationActor {
  readonly kind: 'person' | 'client' | 'operator' | 'cluster' | 'system';
  readonly id: string;
}

interface EntryBase {
  /** Short slug: `session_ended`, `account_disabled`, `refresh_token_reuse`, `key_revoked`, … */
  readonly reason: string;
  readonly actor?: RevocationActor;
  /** After this no token the entry targets can still be valid. */
  readonly keepUntil: Date;
}

/**
 * A login (`sid` claim) whose tokens are refused. `sub` names its owner when known. With
 * `notBefore`, only its tokens issued (`iat`) before then are refused: an elevation grant
 * ended early (issue 16) stops the elevated tokens, and the login's next refresh works.
 */
export interface SessionRevocation extends EntryBase {
  readonly kind: 'session';
  readonly sid: string;
  readonly sub?: string | undefined;
  readonly notBefore?: Date | undefined;
}

/** A person whose tokens issued (`iat`) before `notBefore` are refused. */
export interface SubjectRevocation extends EntryBase {
  readonly kind: 'subject';
  readonly sub: string;
  readonly notBefore: Date;
}

/** Tokens issued in [iatFrom, iatUntil) are refused (a revoked key's signing period). */
export interface WindowRevocation extends EntryBase {
  readonly kind: 'window';
  readonly iatFrom: Date;
  readonly iatUntil: Date;
  readonly kid?: string | undefined;
}

export type NewRevocation = SessionRevocation | SubjectRevocation | WindowRevocation;

export type StoredRevocation = NewRevocation & {
  readonly id: string;
  readonly createdAt: Date;
};

interface Row {
  id: string;
  kind: RevocationKind;
  sid: string | null;
  sub: string | null;
  not_before: Date | string | null;
  iat_from: Date | string | null;
  iat_until: Date | string | null;
  kid: string | null;
  reason: string;
  actor: { kind?: string; id?: string } | null;
  created_at: Date | string;
  keep_until: Date | string;
}

const COLUMNS = `id::text AS id, kind, sid, sub, not_before, iat_from, iat_until, kid, reason,
                 actor, created_at, keep_until`;

const date = (v: Date | string | number): Date => new Date(v);

function toEntry(r: Row): StoredRevocation {
  const actor =
    r.actor?.kind !== undefined && r.actor.id !== undefined
      ? { actor: { kind: r.actor.kind, id: r.actor.id } as RevocationActor }
      : {};
  const base = {
    id: r.id,
    reason: r.reason,
    ...actor,
    createdAt: date(r.created_at),
    keepUntil: date(r.keep_until),
  };
  switch (r.kind) {
    case 'session':
      return {
        ...base,
        kind: 'session',
        sid: r.sid ?? '',
        sub: r.sub ?? undefined,
        ...(r.not_before === null ? {} : { notBefore: date(r.not_before) }),
      };
    case 'subject':
      return { ...base, kind: 'subject', sub: r.sub ?? '', notBefore: date(r.not_before ?? 0) };
    case 'window':
      return {
        ...base,
        kind: 'window',
        iatFrom: date(r.iat_from ?? 0),
        iatUntil: date(r.iat_until ?? 0),
        kid: r.kid ?? undefined,
      };
  }
}

/** The longest id, sub or kid an entry may name (a directory id is far shorter). */
export const MAX_REVOCATION_ID_LENGTH = 1024;

function checkEntry(e: NewRevocation): void {
  const ids = [
    e.kind === 'session' ? e.sid : undefined,
    e.kind === 'window' ? e.kid : e.sub,
  ].filter((v): v is string => v !== undefined);
  for (const id of ids)
    if (id === '' || id.length > MAX_REVOCATION_ID_LENGTH)
      throw new AppError(
        'STORAGE_INVALID_INPUT',
        `a revocation id must have 1 to ${MAX_REVOCATION_ID_LENGTH} characters`,
      );
  if (e.kind === 'window' && !(e.iatFrom.getTime() < e.iatUntil.getTime()))
    throw new AppError('STORAGE_INVALID_INPUT', 'a revocation window must end after it starts');
  const times = [
    e.keepUntil,
    ...(e.kind === 'window' || e.notBefore === undefined ? [] : [e.notBefore]),
  ];
  if (e.kind === 'window') times.push(e.iatFrom, e.iatUntil);
  if (times.some((t) => Number.isNaN(t.getTime())))
    throw new AppError('STORAGE_INVALID_INPUT', 'a revocation time is not a valid date');
}

/**
 * Records deny entries, all at once (one statement: all or none). Returns how many were
 * written. Entries are not merged here: the rule builder takes the strictest per sid or sub.
 */
export async function recordRevocations(
  q: Queryable,
  entries: readonly NewRevocation[],
): Promise<number> {
  if (entries.length === 0) return 0;
  entries.forEach(checkEntry);
  const col = <T>(f: (e: NewRevocation) => T | undefined): (T | null)[] =>
    entries.map((e) => f(e) ?? null);
  const { rowCount } = await q.query(
    `INSERT INTO login_revocations
       (kind, sid, sub, not_before, iat_from, iat_until, kid, reason, actor, keep_until)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[],
                          $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[],
                          $9::jsonb[], $10::timestamptz[])`,
    [
      col((e) => e.kind),
      col((e) => (e.kind === 'session' ? e.sid : undefined)),
      col((e) => (e.kind === 'window' ? undefined : e.sub)),
      col((e) => (e.kind === 'window' ? undefined : e.notBefore)),
      col((e) => (e.kind === 'window' ? e.iatFrom : undefined)),
      col((e) => (e.kind === 'window' ? e.iatUntil : undefined)),
      col((e) => (e.kind === 'window' ? e.kid : undefined)),
      col((e) => e.reason),
      col((e) => JSON.stringify(e.actor ?? {})),
      col((e) => e.keepUntil),
    ],
  );
  return rowCount;
}

/** Every entry whose keepUntil is after `now`, oldest first. */
export async function listLiveRevocations(q: Queryable, now: Date): Promise<StoredRevocation[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM login_revocations WHERE keep_until > $1 ORDER BY created_at, id`,
    [now],
  );
  return rows.map(toEntry);
}

/** Deletes at most `limit` entries whose keepUntil has passed; returns how many. */
export async function pruneRevocations(q: Queryable, now: Date, limit = 1000): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM login_revocations WHERE id IN (
       SELECT id FROM login_revocations WHERE keep_until <= $1 ORDER BY keep_until LIMIT $2)`,
    [now, limit],
  );
  return rowCount;
}
