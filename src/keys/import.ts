import { calculateJwkThumbprint, type JWK } from 'jose';
import { AppError } from '../errors.js';
import type { Queryable } from '../storage/index.js';
import type { KeySealer, SigningAlg } from './keystore.js';

/**
 * Keys another issuer signed with (Dex's, through `sigil import dex`): they join
 * signing_keys as `retired` keys, published in the JWKS until `removeAfter` and never used to
 * sign, so every token that issuer signed keeps verifying until it expires. Rotation removes
 * them at `removeAfter` like sigil's own retired keys; `sigil keys revoke` and `keys list`
 * treat them alike. A key with no private half (`privateJwk` undefined) is stored
 * `public_only`: sigil publishes it itself (loadKeySet's `verifyOnly`).
 */
export interface ForeignKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: JWK;
  readonly privateJwk?: JWK | undefined;
  readonly removeAfter: Date;
}

/** `imported`: a new row; `present`: the same key was there already (nothing changed). */
export type ForeignKeyOutcome = 'imported' | 'present';

/** The public members of a JWK and its metadata: what the JWKS serves. */
export function publicPart(jwk: JWK, kid: string, alg: SigningAlg): JWK {
  const names =
    jwk.kty === 'RSA' ? ['n', 'e'] : jwk.kty === 'EC' ? ['crv', 'x', 'y'] : ['crv', 'x'];
  const out: Record<string, string> = { kty: jwk.kty ?? '' };
  for (const name of names) {
    const v: unknown = (jwk as Record<string, unknown>)[name];
    if (typeof v === 'string') out[name] = v;
  }
  return { ...out, kid, alg, use: 'sig' };
}

export async function insertForeignKey(
  q: Queryable,
  sealer: KeySealer,
  key: ForeignKey,
  origin: string,
): Promise<ForeignKeyOutcome> {
  const { rows } = await q.query<{ public_jwk: JWK; state: string }>(
    'SELECT public_jwk, state FROM signing_keys WHERE kid = $1 FOR UPDATE',
    [key.kid],
  );
  const existing = rows[0];
  if (existing !== undefined) {
    const [had, has] = await Promise.all([
      calculateJwkThumbprint(existing.public_jwk),
      calculateJwkThumbprint(key.publicJwk),
    ]);
    if (had !== has)
      throw new AppError(
        'DEX_IMPORT_REFUSED',
        `key ${key.kid}: sigil already has another key with this kid`,
      );
    return 'present';
  }
  const priv = key.privateJwk;
  await q.query(
    `INSERT INTO signing_keys
       (kid, alg, state, public_jwk, private_jwk, encrypted, public_only, origin, retired_at, remove_after)
     VALUES ($1, $2, 'retired', $3, $4, $5, $6, $7, now(), $8)`,
    [
      key.kid,
      key.alg,
      key.publicJwk,
      priv === undefined ? '' : sealer.seal(JSON.stringify(priv), key.kid),
      priv !== undefined && sealer.enabled,
      priv === undefined,
      origin,
      key.removeAfter,
    ],
  );
  return 'imported';
}
