import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { AppError } from '../errors.js';
import { LOCKS, type Db, type Queryable } from '../storage/index.js';

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
  /**
   * Published public keys with no private half (Dex's older verification keys, imported):
   * served in the JWKS next to the provider's keys, never given to oidc-provider (which takes
   * private keys only).
   */
  readonly verifyOnly: readonly JWK[];
  /** Changes whenever the published set or the active key changes. */
  readonly version: string;
}

/**
 * Seals private keys at rest (AES-GCM when a key-encryption secret is configured, sealer.ts).
 * `context` is the key id: bound to the sealed value, which then opens only for that key.
 */
export interface KeySealer {
  readonly enabled: boolean;
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
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
  public_only: boolean;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  remove_after: Date | null;
}

export async function generateSigningKey(
  alg: SigningAlg,
): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const meta = { kid, alg, use: 'sig' };
  return {
    kid,
    publicJwk: { ...pub, ...meta },
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
  };
}

export type GeneratedKey = Awaited<ReturnType<typeof generateSigningKey>>;

export async function insertKey(
  q: Queryable,
  sealer: KeySealer,
  alg: SigningAlg,
  state: 'next' | 'active',
  pregenerated?: GeneratedKey,
): Promise<string> {
  const k = pregenerated?.publicJwk.alg === alg ? pregenerated : await generateSigningKey(alg);
  await q.query(
    `INSERT INTO signing_keys (kid, alg, state, public_jwk, private_jwk, encrypted, activated_at)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'active' THEN now() END)`,
    [
      k.kid,
      alg,
      state,
      k.publicJwk,
      sealer.seal(JSON.stringify(k.privateJwk), k.kid),
      sealer.enabled,
    ],
  );
  return k.kid;
}

/** The private JWK of a row, decrypted when it is sealed. */
export function openPrivateJwk(
  row: { kid: string; private_jwk: string; encrypted: boolean },
  sealer: KeySealer,
): JWK {
  if (row.encrypted && !sealer.enabled) {
    throw new AppError(
      'KEYS_UNAVAILABLE',
      `signing key ${row.kid} is encrypted but no key-encryption secret is configured (keys.encryptionSecret)`,
    );
  }
  try {
    return JSON.parse(
      row.encrypted ? sealer.open(row.private_jwk, row.kid) : row.private_jwk,
    ) as JWK;
  } catch (cause) {
    throw new AppError(
      'KEYS_UNAVAILABLE',
      `signing key ${row.kid} cannot be decrypted: check the key-encryption secret`,
      { cause },
    );
  }
}

function toKey(row: KeyRow, sealer: KeySealer): SigningKey {
  const privateJwk = openPrivateJwk(row, sealer);
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
 * replicas starting at once create one key set, not one each. The very first key signs at
 * once (nothing can have cached a JWKS yet); later, a missing active key is replaced by the
 * published next key, never by an unpublished one. Returns the kids it created.
 */
export async function ensureKeys(
  db: Db,
  alg: SigningAlg,
  sealer: KeySealer,
): Promise<{ created: string[]; activated: string[] }> {
  const out = { created: [] as string[], activated: [] as string[] };
  await db.withAdvisoryLock(LOCKS.keys, () =>
    db.transaction(async (tx) => {
      const { rows } = await tx.query<{ kid: string; state: string }>(
        `SELECT kid, state FROM signing_keys WHERE state IN ('active', 'next') FOR UPDATE`,
      );
      const next = rows.find((r) => r.state === 'next');
      if (!rows.some((r) => r.state === 'active')) {
        if (next === undefined) {
          out.created.push(await insertKey(tx, sealer, alg, 'active'));
          out.activated.push(out.created[0] ?? '');
        } else {
          await tx.query(
            `UPDATE signing_keys SET state = 'active', activated_at = now() WHERE kid = $1`,
            [next.kid],
          );
          out.activated.push(next.kid);
        }
      }
      if (next === undefined || out.activated.includes(next.kid))
        out.created.push(await insertKey(tx, sealer, alg, 'next'));
    }),
  );
  return out;
}

/** The keys that are served in the JWKS (SQL condition on signing_keys). */
export const PUBLISHED = `(state IN ('active', 'next') OR (state = 'retired' AND (remove_after IS NULL OR remove_after > now())))`;

/**
 * A short string that changes whenever the published key set or the active key changes:
 * what replicas poll to notice a rotation made elsewhere. Same format as KeySet.version.
 */
export async function keySetVersion(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ v: string | null }>(
    `SELECT string_agg(kid || ':' || state, ',' ORDER BY kid COLLATE "C") AS v
       FROM signing_keys WHERE ${PUBLISHED}`,
  );
  return rows[0]?.v ?? '';
}

/** Loads the published key set: the active key first (it signs), then next, then retired keys still needed. */
export async function loadKeySet(db: Queryable, sealer: KeySealer): Promise<KeySet> {
  const { rows } = await db.query<KeyRow>(
    `SELECT kid, alg, state, public_jwk, private_jwk, encrypted, public_only, created_at, activated_at, retired_at, remove_after
       FROM signing_keys
      WHERE ${PUBLISHED}
      ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC`,
  );
  const keys = rows.filter((r) => !r.public_only).map((r) => toKey(r, sealer));
  const verifyOnly = rows.filter((r) => r.public_only).map((r) => r.public_jwk);
  const active = keys.find((k) => k.state === 'active');
  if (active === undefined)
    throw new AppError('KEYS_UNAVAILABLE', 'no active signing key in the database');
  const version = rows
    .map((k) => `${k.kid}:${k.state}`)
    .sort()
    .join(',');
  return { active, published: keys, verifyOnly, version };
}

/** Public keys as served at the JWKS endpoint. */
export function publicJwks(set: KeySet): { keys: JWK[] } {
  return { keys: [...set.published.map((k) => k.publicJwk), ...set.verifyOnly] };
}
