import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { AppError } from '../errors.js';
import { LOCKS, type Db, type Queryable } from '../storage/db.js';

/**
 * Signing keys in PostgreSQL, with the lifecycle next → active → retired (DESIGN.md):
 * a `next` key is published before it signs anything, the `active` key signs, a `retired`
 * key stays published until every token it signed has expired.
 */
export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export type KeyState = 'next' | 'active' | 'retired' | 'revoked';

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly state: KeyState;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
  readonly retiredAt: Date | null;
  readonly removeAfter: Date | null;
}

/** What the provider is built from: the signing key first, then every other published key. */
export interface KeySet {
  readonly active: SigningKey;
  readonly published: readonly SigningKey[];
  /** Changes whenever the published set or the active key changes. */
  readonly version: string;
}

/** Seals private keys at rest (AES-GCM when a key-encryption secret is configured). */
export interface KeySealer {
  readonly enabled: boolean;
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export const PLAINTEXT_SEALER: KeySealer = {
  enabled: false,
  seal: (s) => s,
  open: (s) => s,
};

interface KeyRow {
  kid: string;
  alg: string;
  state: string;
  public_jwk: JWK;
  private_jwk: string;
  encrypted: boolean;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  remove_after: Date | null;
}

export async function generateSigningKey(alg: SigningAlg): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const meta = { kid, alg, use: 'sig' };
  return { kid, publicJwk: { ...pub, ...meta }, privateJwk: { ...(await exportJWK(privateKey)), ...meta } };
}

export async function insertKey(q: Queryable, sealer: KeySealer, alg: SigningAlg, state: 'next' | 'active'): Promise<string> {
  const k = await generateSigningKey(alg);
  await q.query(
    `INSERT INTO signing_keys (kid, alg, state, public_jwk, private_jwk, encrypted, activated_at)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'active' THEN now() END)`,
    [k.kid, alg, state, k.publicJwk, sealer.seal(JSON.stringify(k.privateJwk)), sealer.enabled],
  );
  return k.kid;
}

function toKey(row: KeyRow, sealer: KeySealer): SigningKey {
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(row.encrypted ? sealer.open(row.private_jwk) : row.private_jwk) as JWK;
  } catch (cause) {
    throw new AppError('KEYS_UNAVAILABLE', `signing key ${row.kid} cannot be decrypted: check the key-encryption secret`, { cause });
  }
  return {
    kid: row.kid,
    alg: row.alg as SigningAlg,
    state: row.state as KeyState,
    publicJwk: row.public_jwk,
    privateJwk,
    createdAt: new Date(row.created_at),
    activatedAt: row.activated_at === null ? null : new Date(row.activated_at),
    retiredAt: row.retired_at === null ? null : new Date(row.retired_at),
    removeAfter: row.remove_after === null ? null : new Date(row.remove_after),
  };
}

/**
 * Makes sure an active and a next key exist. Runs under the keys advisory lock so that
 * replicas starting at once create one key set, not one each.
 */
export async function ensureKeys(db: Db, alg: SigningAlg, sealer: KeySealer): Promise<void> {
  await db.withAdvisoryLock(LOCKS.keys, async (conn) => {
    const { rows } = await conn.query<{ state: string }>(`SELECT state FROM signing_keys WHERE state IN ('active', 'next')`);
    const states = new Set(rows.map((r) => r.state));
    if (!states.has('active')) await insertKey(conn, sealer, alg, 'active');
    if (!states.has('next')) await insertKey(conn, sealer, alg, 'next');
  });
}

/** Loads the published key set: the active key first (it signs), then next, then retired keys still needed. */
export async function loadKeySet(db: Queryable, sealer: KeySealer): Promise<KeySet> {
  const { rows } = await db.query<KeyRow>(
    `SELECT kid, alg, state, public_jwk, private_jwk, encrypted, created_at, activated_at, retired_at, remove_after
       FROM signing_keys
      WHERE state IN ('active', 'next') OR (state = 'retired' AND (remove_after IS NULL OR remove_after > now()))
      ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC`,
  );
  const keys = rows.map((r) => toKey(r, sealer));
  const active = keys.find((k) => k.state === 'active');
  if (active === undefined) throw new AppError('KEYS_UNAVAILABLE', 'no active signing key in the database');
  return { active, published: keys, version: keys.map((k) => `${k.kid}:${k.state}`).join(',') };
}

/** Public keys as served at the JWKS endpoint. */
export function publicJwks(set: KeySet): { keys: JWK[] } {
  return { keys: set.published.map((k) => k.publicJwk) };
}
