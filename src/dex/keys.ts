import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { AppError } from '../errors.js';
import { CLOCK_SKEW_MS, publicPart, type ForeignKey, type SigningAlg } from '../keys/index.js';
import type { DexKeys } from './read.js';

/**
 * Dex's keys (dexidp/dex server/signer: one signing key, RSA by default, and the public halves
 * of the keys it rotated out, each with the time the last token it signed expires) as keys
 * sigil publishes. Checked before anything is written: a key that does not parse, or a
 * signing key whose public half is not `signing_key_pub`, refuses the whole import.
 */
export interface PreparedKeys {
  readonly keys: readonly ForeignKey[];
  readonly skipped: readonly { readonly what: string; readonly why: string }[];
}

const ALGS: ReadonlySet<string> = new Set(['RS256', 'ES256', 'EdDSA']);

function refuse(what: string): AppError {
  return new AppError('DEX_IMPORT_REFUSED', `keys: ${what}`);
}

/** A JWK object of an algorithm sigil publishes, or a refusal naming `what`. */
async function jwkOf(
  value: unknown,
  what: string,
  wantPrivate: boolean,
): Promise<{ jwk: JWK; kid: string; alg: SigningAlg }> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw refuse(`${what} is not a JWK`);
  const jwk = value as JWK;
  const alg = jwk.alg ?? (jwk.kty === 'RSA' ? 'RS256' : undefined);
  if (alg === undefined || !ALGS.has(alg))
    throw refuse(`${what} uses ${String(alg)}: sigil publishes RS256, ES256 and EdDSA keys`);
  if (typeof jwk.kid !== 'string' || jwk.kid === '' || jwk.kid.length > 200)
    throw refuse(`${what} has no usable kid`);
  if (wantPrivate !== (typeof jwk.d === 'string'))
    throw refuse(`${what} ${wantPrivate ? 'has no private key' : 'holds a private key'}`);
  try {
    await importJWK(jwk, alg);
  } catch {
    throw refuse(`${what} (kid ${jwk.kid}) is not a valid ${alg} key`);
  }
  return { jwk, kid: jwk.kid, alg: alg as SigningAlg };
}

async function sameKey(a: JWK, b: JWK): Promise<boolean> {
  const [x, y] = await Promise.all([calculateJwkThumbprint(a), calculateJwkThumbprint(b)]);
  return x === y;
}

/**
 * The signing key stays published for `retainMs` from the import (sigil's retention: its
 * longest token lifetime plus skew and propagation; the Dex config's `expiry.idTokens` when
 * sigil runs Dex's file); a verification key until its Dex expiry plus clock skew, and not at
 * all when that has passed (no token it signed is still valid).
 */
export async function prepareKeys(
  keys: DexKeys | undefined,
  now: Date,
  retainMs: number,
): Promise<PreparedKeys> {
  if (keys === undefined)
    return { keys: [], skipped: [{ what: 'keys', why: 'Dex has no keys row (it never signed)' }] };
  const signing = await jwkOf(keys.signingKey, 'signing_key', true);
  const pub = await jwkOf(keys.signingKeyPub, 'signing_key_pub', false);
  if (pub.kid !== signing.kid || !(await sameKey(signing.jwk, pub.jwk)))
    throw refuse('signing_key_pub is not the public half of signing_key');
  const out: ForeignKey[] = [
    {
      kid: signing.kid,
      alg: signing.alg,
      publicJwk: publicPart(pub.jwk, signing.kid, signing.alg),
      privateJwk: { ...signing.jwk, alg: signing.alg, use: 'sig' },
      removeAfter: new Date(now.getTime() + retainMs),
    },
  ];
  const skipped: { what: string; why: string }[] = [];
  for (const [i, vk] of keys.verificationKeys.entries()) {
    const k = await jwkOf(vk.publicKey, `verification_keys[${String(i)}]`, false);
    if (out.some((o) => o.kid === k.kid)) continue;
    const until = new Date(vk.expiry.getTime() + CLOCK_SKEW_MS);
    if (until <= now) {
      skipped.push({
        what: `verification key ${k.kid}`,
        why: `expired in Dex at ${vk.expiry.toISOString()}: no token it signed is still valid`,
      });
      continue;
    }
    out.push({
      kid: k.kid,
      alg: k.alg,
      publicJwk: publicPart(k.jwk, k.kid, k.alg),
      removeAfter: until,
    });
  }
  return { keys: out, skipped };
}
