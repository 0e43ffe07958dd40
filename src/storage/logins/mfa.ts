import { AppError } from '../../errors.js';
import type { Db, Queryable } from '../db.js';

/**
 * A person's second factors (migrations/0003_mfa.sql), keyed by `sub` + `connector_id`. A
 * factor whose enrollment was never confirmed is stored with `confirmedAt` undefined and never
 * counts: `listFactors` leaves it out unless asked. Every "accept" below is one conditional
 * UPDATE, so two replicas can never both accept the same TOTP step or signature counter.
 */
export type MfaFactorKind = 'totp' | 'webauthn';

/**
 * The context a TOTP secret is sealed under (the signing keys' sealer, keys/sealer.ts): it
 * opens only for its own factor row.
 */
export const totpSealContext = (factorId: string): string => `sigil-mfa-totp:${factorId}`;

export interface MfaPerson {
  readonly sub: string;
  readonly connectorId: string;
}

export interface MfaFactor extends MfaPerson {
  readonly id: string;
  readonly kind: MfaFactorKind;
  readonly name: string;
  /** TOTP: the (possibly sealed) secret. */
  readonly secret?: string;
  readonly encrypted: boolean;
  readonly lastStep?: number;
  /** WebAuthn: base64url credential id and COSE public key. */
  readonly credentialId?: string;
  readonly publicKey?: string;
  readonly signCount: number;
  readonly transports?: readonly string[];
  readonly deviceType?: string;
  readonly createdAt: Date;
  readonly confirmedAt?: Date;
  readonly lastUsedAt?: Date;
}

export interface NewMfaFactor extends MfaPerson {
  readonly id: string;
  readonly kind: MfaFactorKind;
  readonly name: string;
  readonly secret?: string;
  readonly encrypted?: boolean;
  readonly credentialId?: string;
  readonly publicKey?: string;
  readonly signCount?: number;
  readonly transports?: readonly string[];
  readonly deviceType?: string;
  /** Stored confirmed at once (a passkey is verified before it is stored). */
  readonly confirmed?: boolean;
}

interface FactorRow {
  id: string;
  sub: string;
  connector_id: string;
  kind: MfaFactorKind;
  name: string;
  secret: string | null;
  encrypted: boolean;
  last_step: string | number | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: string | number;
  transports: string[] | null;
  device_type: string | null;
  created_at: Date;
  confirmed_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = `id, sub, connector_id, kind, name, secret, encrypted, last_step, credential_id,
  public_key, sign_count, transports, device_type, created_at, confirmed_at, last_used_at`;

function toFactor(r: FactorRow): MfaFactor {
  return {
    id: r.id,
    sub: r.sub,
    connectorId: r.connector_id,
    kind: r.kind,
    name: r.name,
    ...(r.secret === null ? {} : { secret: r.secret }),
    encrypted: r.encrypted,
    ...(r.last_step === null ? {} : { lastStep: Number(r.last_step) }),
    ...(r.credential_id === null ? {} : { credentialId: r.credential_id }),
    ...(r.public_key === null ? {} : { publicKey: r.public_key }),
    signCount: Number(r.sign_count),
    ...(r.transports === null ? {} : { transports: r.transports }),
    ...(r.device_type === null ? {} : { deviceType: r.device_type }),
    createdAt: new Date(r.created_at),
    ...(r.confirmed_at === null ? {} : { confirmedAt: new Date(r.confirmed_at) }),
    ...(r.last_used_at === null ? {} : { lastUsedAt: new Date(r.last_used_at) }),
  };
}

/** The person's factors, oldest first; unfinished enrollments only with `includeUnconfirmed`. */
export async function listFactors(
  q: Queryable,
  who: MfaPerson,
  opts: { includeUnconfirmed?: boolean } = {},
): Promise<MfaFactor[]> {
  const { rows } = await q.query<FactorRow>(
    `SELECT ${COLUMNS} FROM mfa_factors WHERE sub = $1 AND connector_id = $2
       ${opts.includeUnconfirmed === true ? '' : 'AND confirmed_at IS NOT NULL'}
     ORDER BY created_at, id`,
    [who.sub, who.connectorId],
  );
  return rows.map(toFactor);
}

/** One factor of the person by id (confirmed or not); undefined when it is not theirs. */
export async function findFactor(
  q: Queryable,
  who: MfaPerson,
  id: string,
): Promise<MfaFactor | undefined> {
  const { rows } = await q.query<FactorRow>(
    `SELECT ${COLUMNS} FROM mfa_factors WHERE id = $1 AND sub = $2 AND connector_id = $3`,
    [id, who.sub, who.connectorId],
  );
  const row = rows[0];
  return row === undefined ? undefined : toFactor(row);
}

/**
 * Stores a factor. An unconfirmed one replaces the person's earlier unfinished enrollment of
 * the same kind (a closed browser leaves at most one stale row, which never counts).
 */
export async function createFactor(db: Db, f: NewMfaFactor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `DELETE FROM mfa_factors
        WHERE sub = $1 AND connector_id = $2 AND kind = $3 AND confirmed_at IS NULL`,
      [f.sub, f.connectorId, f.kind],
    );
    await tx.query(
      `INSERT INTO mfa_factors (id, sub, connector_id, kind, name, secret, encrypted,
         credential_id, public_key, sign_count, transports, device_type, confirmed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
               CASE WHEN $13::boolean THEN now() END)`,
      [
        f.id,
        f.sub,
        f.connectorId,
        f.kind,
        f.name,
        f.secret ?? null,
        f.encrypted ?? false,
        f.credentialId ?? null,
        f.publicKey ?? null,
        f.signCount ?? 0,
        f.transports === undefined ? null : JSON.stringify(f.transports),
        f.deviceType ?? null,
        f.confirmed === true,
      ],
    );
  });
}

/**
 * Confirms an unfinished TOTP enrollment with the step of the code that proved it (that
 * step is then used up). False when there is no such unconfirmed factor of this person.
 */
export async function confirmFactor(
  q: Queryable,
  who: MfaPerson,
  id: string,
  step: number,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE mfa_factors SET confirmed_at = now(), last_step = $4, last_used_at = now()
      WHERE id = $1 AND sub = $2 AND connector_id = $3 AND confirmed_at IS NULL`,
    [id, who.sub, who.connectorId, step],
  );
  return rowCount === 1;
}

/**
 * Accepts TOTP step `step` for a confirmed factor only when it is later than the last one
 * accepted: one statement, so a code is accepted once across every replica.
 */
export async function acceptTotpStep(q: Queryable, id: string, step: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE mfa_factors SET last_step = $2, last_used_at = now()
      WHERE id = $1 AND kind = 'totp' AND confirmed_at IS NOT NULL
        AND (last_step IS NULL OR last_step < $2)`,
    [id, step],
  );
  return rowCount === 1;
}

/** A confirmed WebAuthn factor by credential id (any person: the caller checks the owner). */
export async function findWebauthnFactor(
  q: Queryable,
  credentialId: string,
): Promise<MfaFactor | undefined> {
  const { rows } = await q.query<FactorRow>(
    `SELECT ${COLUMNS} FROM mfa_factors
      WHERE credential_id = $1 AND kind = 'webauthn' AND confirmed_at IS NOT NULL`,
    [credentialId],
  );
  const row = rows[0];
  return row === undefined ? undefined : toFactor(row);
}

/**
 * Records a WebAuthn signature counter. It must go forward (a counter that stays or goes back
 * means a cloned authenticator), except for authenticators that always answer 0.
 */
export async function acceptSignCount(q: Queryable, id: string, counter: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE mfa_factors SET sign_count = $2, last_used_at = now()
      WHERE id = $1 AND kind = 'webauthn' AND confirmed_at IS NOT NULL
        AND (sign_count < $2 OR ($2 = 0 AND sign_count = 0))`,
    [id, counter],
  );
  return rowCount === 1;
}

/** Deletes one factor of the person; false when there is none with that id. */
export async function deleteFactor(q: Queryable, who: MfaPerson, id: string): Promise<boolean> {
  const { rowCount } = await q.query(
    'DELETE FROM mfa_factors WHERE id = $1 AND sub = $2 AND connector_id = $3',
    [id, who.sub, who.connectorId],
  );
  return rowCount === 1;
}

/** Replaces the person's recovery codes with these hashes (the old ones stop working). */
export async function replaceRecoveryCodes(
  db: Db,
  who: MfaPerson,
  hashes: readonly string[],
): Promise<void> {
  if (new Set(hashes).size !== hashes.length)
    throw new AppError('STORAGE_INVALID_INPUT', 'recovery code hashes must be distinct');
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM mfa_recovery_codes WHERE sub = $1 AND connector_id = $2', [
      who.sub,
      who.connectorId,
    ]);
    await tx.query(
      `INSERT INTO mfa_recovery_codes (sub, connector_id, code_hash)
       SELECT $1, $2, h FROM unnest($3::text[]) AS h`,
      [who.sub, who.connectorId, [...hashes]],
    );
  });
}

/** Uses one recovery code (by hash): true once, false for an unknown or used code. */
export async function useRecoveryCode(
  q: Queryable,
  who: MfaPerson,
  hash: string,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE mfa_recovery_codes SET used_at = now()
      WHERE sub = $1 AND connector_id = $2 AND code_hash = $3 AND used_at IS NULL`,
    [who.sub, who.connectorId, hash],
  );
  return rowCount === 1;
}

/** How many unused recovery codes the person has left. */
export async function unusedRecoveryCodes(q: Queryable, who: MfaPerson): Promise<number> {
  const { rows } = await q.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM mfa_recovery_codes
      WHERE sub = $1 AND connector_id = $2 AND used_at IS NULL`,
    [who.sub, who.connectorId],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Forgets every factor and recovery code of the person (a lost phone). */
export async function deleteAllMfa(
  db: Db,
  who: MfaPerson,
): Promise<{ factors: number; recoveryCodes: number }> {
  return db.transaction(async (tx) => {
    const f = await tx.query('DELETE FROM mfa_factors WHERE sub = $1 AND connector_id = $2', [
      who.sub,
      who.connectorId,
    ]);
    const r = await tx.query(
      'DELETE FROM mfa_recovery_codes WHERE sub = $1 AND connector_id = $2',
      [who.sub, who.connectorId],
    );
    return { factors: f.rowCount, recoveryCodes: r.rowCount };
  });
}

export type ChallengePurpose = 'register' | 'authenticate';

/** Remembers a WebAuthn challenge handed to `sub` (and drops that person's expired ones). */
export async function saveChallenge(
  q: Queryable,
  c: { challenge: string; sub: string; purpose: ChallengePurpose; ttlMs: number },
): Promise<void> {
  await q.query('DELETE FROM mfa_challenges WHERE sub = $1 AND expires_at < now()', [c.sub]);
  await q.query(
    `INSERT INTO mfa_challenges (challenge, sub, purpose, expires_at)
     VALUES ($1, $2, $3, now() + ($4::double precision * interval '1 millisecond'))`,
    [c.challenge, c.sub, c.purpose, c.ttlMs],
  );
}

/** Takes a challenge once: true when it was handed to `sub` for `purpose` and has not expired. */
export async function takeChallenge(
  q: Queryable,
  c: { challenge: string; sub: string; purpose: ChallengePurpose },
): Promise<boolean> {
  const { rows } = await q.query<{ expired: boolean }>(
    `DELETE FROM mfa_challenges WHERE challenge = $1 AND sub = $2 AND purpose = $3
     RETURNING expires_at < now() AS expired`,
    [c.challenge, c.sub, c.purpose],
  );
  return rows.length === 1 && rows[0]?.expired === false;
}

/** The stored TOTP secrets, for `sigil keys reencrypt` (inside its transaction). */
export async function listTotpSecrets(
  q: Queryable,
): Promise<{ id: string; secret: string; encrypted: boolean }[]> {
  const { rows } = await q.query<{ id: string; secret: string; encrypted: boolean }>(
    `SELECT id, secret, encrypted FROM mfa_factors WHERE kind = 'totp' ORDER BY id FOR UPDATE`,
  );
  return rows;
}

export async function updateTotpSecret(
  q: Queryable,
  id: string,
  secret: string,
  encrypted: boolean,
): Promise<void> {
  await q.query('UPDATE mfa_factors SET secret = $2, encrypted = $3 WHERE id = $1', [
    id,
    secret,
    encrypted,
  ]);
}

/** The people sigil has seen under `username` (as typed at login, compared case-insensitively). */
export async function identitiesNamed(q: Queryable, username: string): Promise<MfaPerson[]> {
  const { rows } = await q.query<{ sub: string; connector_id: string }>(
    `SELECT sub, connector_id FROM identities WHERE lower(username) = lower($1) ORDER BY sub`,
    [username],
  );
  return rows.map((r) => ({ sub: r.sub, connectorId: r.connector_id }));
}
