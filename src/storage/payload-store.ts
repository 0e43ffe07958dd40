import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
import type { Db, SqlValue } from './db.js';
import { isUnstorableText } from './db-errors.js';
import { identityColumns, identityFromRow } from './identities.js';
import { memoKeys, type RequestMemo } from './read-memo.js';
import { storeHeldWrites } from './write-behind.js';

/**
 * The `oidc_payload` table, where oidc-provider's models live (oidc/adapter.ts wraps this
 * into the provider's Adapter class): one row per model instance, keyed by (kind, id), the
 * payload as jsonb (it grows between oidc-provider versions).
 *
 * - `find*` hide expired rows; a periodic GC (gc.ts) deletes them.
 * - `consume` marks the row (`consumed_at`, and `consumed` in the payload, which
 *   oidc-provider reads) and keeps it: a reused code or refresh token must be recognised.
 * - `revokeByGrantId` deletes every token row of the grant, whatever its kind.
 * - Opaque tokens are keyed by their own value. For the models in HASHED_MODELS the `id`
 *   column holds sha256(id) (base64url) and the payload's `jti` is dropped (restored by
 *   `find` from the id it was asked for), so the table holds no usable credential.
 *   Exception: DeviceCode keeps its `jti` in the payload, because oidc-provider finds it by
 *   user code and saves it again under that `jti`.
 * - NUL bytes and unpaired surrogates (PostgreSQL cannot store them) are refused before any
 *   query with AppError STORAGE_INVALID_INPUT (oidc/ answers `invalid_request`, a 400).
 * - An unreachable database is AppError DB_UNAVAILABLE (oidc/ answers
 *   `temporarily_unavailable`, a 503).
 * - Within a request that defers its writes (read-memo.ts; oidc-provider's requests,
 *   oidc/write-behind.ts), `upsert`, `consume` and `destroy` are held back and sent together
 *   as one statement before the answer; every read, `revokeByGrantId`, and a second write of
 *   a row already held back send them first.
 */
export const HASHED_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'BackchannelAuthenticationRequest',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'PushedAuthorizationRequest',
]);

/** Models found by something other than their id, whose payload must keep its `jti`. */
const KEEP_JTI: ReadonlySet<string> = new Set(['DeviceCode']);

/** Models whose rows belong to a grant and go when it is revoked (as in oidc-provider's memory adapter). */
const GRANTABLE: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * Models whose lookup also reads their grant and their person's identity in the same
 * statement (into the request's memo): the next thing oidc-provider and findAccount ask for.
 */
const READ_AHEAD: ReadonlySet<string> = new Set([
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'Interaction',
]);

/** A stored model instance: oidc-provider's payload, whatever its model. */
export interface StoredPayload {
  [key: string]: unknown;
  jti?: string | undefined;
  consumed?: unknown;
  grantId?: string | undefined;
  uid?: string | undefined;
  userCode?: string | undefined;
}

export interface PayloadStoreOptions {
  /**
   * Called when a database operation fails, before the error is thrown. For logging and
   * metrics; ids and payloads are deliberately not passed.
   */
  readonly onError?: (err: unknown, where: { readonly model: string; readonly op: string }) => void;
  /**
   * Per model, how long after it was consumed a row still reads as unconsumed (ms). For
   * RefreshToken this is the reuse grace window: a client that retries a refresh whose answer
   * it lost gets tokens again instead of tripping oidc-provider's reuse detection, which
   * revokes the whole grant.
   *
   * A model with a grace window also reads as unconsumed, whenever it was consumed, while no
   * successor of the same kind was saved in its grant since: the rotation that consumed it
   * never completed (the database went away between oidc-provider's consume and save, or the
   * process died there), so the client cannot hold a newer token and its retry must work.
   */
  readonly reuseGraceMs?: Readonly<Partial<Record<string, number>>>;
  /** What the current request already read (read-memo.ts); without it every read is a statement. */
  readonly memo?: RequestMemo;
}

/**
 * SQL condition on the consumed `oidc_payload` row aliased `t`: no successor of its kind was
 * saved in its grant since it was consumed, so the rotation that consumed it never completed
 * and nobody can hold a newer token (see PayloadStoreOptions.reuseGraceMs). Such a refresh token is
 * still live: the store reads it as unconsumed and endGrantsLastRefreshedBefore (grants.ts)
 * ends its grant like any other.
 */
export function rotationIncomplete(t: string): string {
  return `(${t}.grant_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM oidc_payload successor
     WHERE successor.grant_id = ${t}.grant_id AND successor.kind = ${t}.kind
       AND successor.id <> ${t}.id AND successor.created_at >= ${t}.consumed_at))`;
}

/**
 * The grant (by the payload's grantId, unexpired) and the identity (by its accountId, or for an
 * interaction the account its login result names) of a token row aliased `t`.
 */
const READ_AHEAD_COLUMNS = `, g.id AS g_id, g.payload AS g_payload, ${identityColumns('i', 'i_')}`;
const READ_AHEAD_JOINS = `
  LEFT JOIN oidc_payload g ON g.kind = 'Grant' AND g.id = t.payload->>'grantId'
        AND (g.expires_at IS NULL OR g.expires_at > now())
  LEFT JOIN identities i
         ON i.sub = coalesce(t.payload->>'accountId', t.payload#>>'{result,login,accountId}')`;

/** sha256(id), base64url: the stored id of a credential-bearing model. */
export function hashId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}

/** The rows of one oidc-provider model (`AccessToken`, `Session`, ...). */
export class PayloadStore {
  readonly #db: Db;
  readonly #model: string;
  readonly #hashed: boolean;
  readonly #opts: PayloadStoreOptions;

  constructor(db: Db, model: string, opts: PayloadStoreOptions = {}) {
    this.#db = db;
    this.#model = model;
    this.#hashed = HASHED_MODELS.has(model);
    this.#opts = opts;
  }

  async upsert(id: string, payload: StoredPayload, expiresIn?: number): Promise<void> {
    checkText(id);
    checkPayload(payload);
    const stored: Record<string, unknown> = { ...payload };
    if (this.#hashed && !KEEP_JTI.has(this.#model)) delete stored['jti'];
    const grantId =
      GRANTABLE.has(this.#model) && typeof payload.grantId === 'string' ? payload.grantId : null;
    const consumed: unknown = payload.consumed;
    const isConsumed = consumed !== undefined && consumed !== null && consumed !== false;
    await this.#write(
      'upsert',
      id,
      `INSERT INTO oidc_payload (kind, id, payload, grant_id, uid, user_code, expires_at, consumed_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6,
               now() + $7::double precision * interval '1 second',
               CASE WHEN $8::boolean THEN COALESCE(to_timestamp($9::double precision), now()) END)
       ON CONFLICT (kind, id) DO UPDATE SET
         payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, expires_at = excluded.expires_at,
         consumed_at = CASE WHEN $8::boolean THEN COALESCE(oidc_payload.consumed_at, excluded.consumed_at) END`,
      [
        this.#model,
        this.#key(id),
        JSON.stringify(stored),
        grantId,
        typeof payload.uid === 'string' ? payload.uid : null,
        typeof payload.userCode === 'string' ? payload.userCode : null,
        typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : null,
        isConsumed,
        // oidc-provider sets an epoch in seconds; anything else counts as "now".
        typeof consumed === 'number' && Number.isFinite(consumed) ? consumed : null,
      ],
    );
  }

  async find(id: string): Promise<StoredPayload | undefined> {
    checkText(id);
    const key = this.#key(id);
    const memo = this.#opts.memo;
    const known = memo?.get(memoKeys.payload(this.#model, key));
    if (known !== undefined) return this.#withJti(known.value as StoredPayload | null, id);
    // What this request wrote and holds back is read as stored (a read-ahead joins other
    // rows too): every pending write goes first.
    await this.#sendPending();
    const found = await this.#findOne('find', 'id = $2', key, id);
    memo?.set(memoKeys.payload(this.#model, key), found ?? null);
    return found;
  }

  #withJti(payload: StoredPayload | null, rawId: string): StoredPayload | undefined {
    if (payload === null) return undefined;
    if (this.#hashed && payload.jti === undefined) payload.jti = rawId;
    return payload;
  }

  async findByUid(uid: string): Promise<StoredPayload | undefined> {
    checkText(uid);
    await this.#sendPending();
    return this.#findOne('findByUid', 'uid = $2', uid, undefined);
  }

  async findByUserCode(userCode: string): Promise<StoredPayload | undefined> {
    checkText(userCode);
    await this.#sendPending();
    return this.#findOne('findByUserCode', 'user_code = $2', userCode, undefined);
  }

  async consume(id: string): Promise<void> {
    checkText(id);
    await this.#write(
      'consume',
      id,
      `UPDATE oidc_payload
          SET consumed_at = COALESCE(consumed_at, now()),
              payload = payload || jsonb_build_object('consumed', floor(extract(epoch FROM COALESCE(consumed_at, now())))::bigint)
        WHERE kind = $1 AND id = $2`,
      [this.#model, this.#key(id)],
    );
  }

  async destroy(id: string): Promise<void> {
    checkText(id);
    await this.#write('destroy', id, 'DELETE FROM oidc_payload WHERE kind = $1 AND id = $2', [
      this.#model,
      this.#key(id),
    ]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    checkText(grantId);
    this.#opts.memo?.clear();
    // The grant's rows held back go first, so that this deletes them too.
    await this.#sendPending();
    await this.#run('revokeByGrantId', 'DELETE FROM oidc_payload WHERE grant_id = $1', [grantId]);
  }

  #key(id: string): string {
    return this.#hashed ? hashId(id) : id;
  }

  #pendingKey(storedId: string): string {
    return memoKeys.payload(this.#model, storedId);
  }

  /**
   * A write of the row `id`: held back when the request defers its writes (read-memo.ts;
   * oidc-provider's requests, sent just before the answer), else sent now. A second write of a
   * row already held back sends what is pending first: one statement never changes a row twice.
   */
  async #write(op: string, id: string, sql: string, params: readonly SqlValue[]): Promise<void> {
    this.#forget(id);
    const memo = this.#opts.memo;
    const key = this.#pendingKey(this.#key(id));
    if (memo?.pending(key) === true) await this.#sendPending();
    if (memo?.defer({ key, sql, params }) === true) return;
    await this.#run(op, sql, params);
  }

  /**
   * Sends the writes this request holds back (of every model), as one statement; what waited
   * for them (RequestMemo.holdUntilStored) then runs, or is dropped when they failed.
   */
  async #sendPending(): Promise<void> {
    const memo = this.#opts.memo;
    if (memo?.pending() !== true) return;
    try {
      await storeHeldWrites(this.#db, memo, memo.takeWrites());
    } catch (err) {
      if (isAppError(err, 'STORAGE_INVALID_INPUT')) throw invalidInput();
      this.#opts.onError?.(err, { model: this.#model, op: 'write' });
      throw err;
    }
  }

  /** A row written elsewhere (the Dex import's claim): this request reads it again. */
  forget(id: string): void {
    this.#forget(id);
  }

  /** A write through this process: the request reads the row again next time. */
  #forget(id: string): void {
    this.#opts.memo?.delete(memoKeys.payload(this.#model, this.#key(id)));
  }

  async #findOne(
    op: string,
    where: string,
    value: string,
    rawId: string | undefined,
  ): Promise<StoredPayload | undefined> {
    const graceMs = this.#opts.reuseGraceMs?.[this.#model];
    const ahead = this.#opts.memo !== undefined && op === 'find' && READ_AHEAD.has(this.#model);
    const inGrace =
      graceMs === undefined
        ? 'false'
        : `(t.consumed_at IS NOT NULL AND (
             t.consumed_at > now() - $3::double precision * interval '1 millisecond'
             OR ${rotationIncomplete('t')}))`;
    const { rows } = await this.#run<Record<string, unknown>>(
      op,
      `SELECT t.payload, ${inGrace} AS in_grace${ahead ? READ_AHEAD_COLUMNS : ''}
         FROM oidc_payload t${ahead ? READ_AHEAD_JOINS : ''}
        WHERE t.kind = $1 AND t.${where} AND (t.expires_at IS NULL OR t.expires_at > now())
        LIMIT 1`,
      graceMs === undefined ? [this.#model, value] : [this.#model, value, graceMs],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (ahead) this.#remember(row);
    const payload = row['payload'] as StoredPayload;
    if (row['in_grace'] === true) delete payload.consumed;
    if (rawId !== undefined && this.#hashed && payload.jti === undefined) payload.jti = rawId;
    return payload;
  }

  /** The grant and identity read along with a token: the request's next reads. */
  #remember(row: Record<string, unknown>): void {
    const memo = this.#opts.memo;
    if (memo === undefined) return;
    const grantId = row['g_id'];
    if (typeof grantId === 'string') memo.set(memoKeys.payload('Grant', grantId), row['g_payload']);
    const identity = identityFromRow(row, 'i_');
    if (identity !== undefined) memo.set(memoKeys.identity(identity.sub), identity);
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the shape of Queryable.query (db.ts)
  async #run<R extends object>(op: string, sql: string, params: readonly SqlValue[]) {
    try {
      return await this.#db.query<R>(sql, params);
    } catch (err) {
      // The database refused a value that slipped past the checks: still the requester's fault.
      if (isAppError(err, 'STORAGE_INVALID_INPUT')) throw invalidInput();
      this.#opts.onError?.(err, { model: this.#model, op });
      throw err;
    }
  }
}

function invalidInput(): AppError {
  return new AppError(
    'STORAGE_INVALID_INPUT',
    'a value cannot be stored: it contains a NUL byte or invalid Unicode',
  );
}

function checkText(value: unknown): void {
  if (typeof value === 'string' && isUnstorableText(value)) throw invalidInput();
}

/** Refuses NUL bytes and unpaired surrogates anywhere in the payload, keys included. */
function checkPayload(value: unknown, depth = 0): void {
  if (depth > 64) throw invalidInput();
  if (typeof value === 'string') {
    checkText(value);
  } else if (Array.isArray(value)) {
    for (const v of value) checkPayload(v, depth + 1);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      checkText(k);
      checkPayload(v, depth + 1);
    }
  }
}
