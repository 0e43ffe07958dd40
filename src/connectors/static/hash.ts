import { randomBytes } from 'node:crypto';
import * as argon2 from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { AppError } from '../../errors.js';

/**
 * Password hashes of the local users (Dex's `staticPasswords[].hash`): bcrypt (`$2a$`, `$2b$`,
 * `$2y$`), Dex's legacy base64-encoded bcrypt, and argon2id (`$argon2id$`, PHC string).
 */
export type HashAlgorithm = 'bcrypt' | 'argon2id';

export const BCRYPT_COST = 10;
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2ID =
  /^\$argon2id\$v=(16|19)\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
/**
 * `Algorithm.Argon2id`: the library types it as an ambient const enum, which
 * verbatimModuleSyntax cannot read, so its value (2) is spelled out.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- see above
const ARGON2ID_ALGORITHM = 2 as argon2.Algorithm;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A new hash of `password` for a `staticPasswords` entry (bcrypt cost 10, or argon2id defaults). */
export async function hashPassword(
  password: string,
  algo: HashAlgorithm = 'bcrypt',
): Promise<string> {
  if (password === '') throw new AppError('BAD_REQUEST', 'refusing to hash an empty password');
  if (algo === 'argon2id') return argon2.hash(password, { algorithm: ARGON2ID_ALGORITHM });
  return bcrypt.hash(password, BCRYPT_COST);
}

/**
 * The hash in its canonical form: Dex accepts bcrypt hashes base64-encoded (an old format of
 * its config), so do we. Undefined when it is no hash we accept.
 */
export function normalizeHash(hash: string): string | undefined {
  if (validFormat(hash) === undefined) return hash;
  if (!BASE64.test(hash)) return undefined;
  const decoded = Buffer.from(hash, 'base64').toString('utf8');
  return BCRYPT.test(decoded) && validFormat(decoded) === undefined ? decoded : undefined;
}

/** Why a configured hash cannot be used, or undefined when it can. Never echoes the hash. */
export function validateHash(hash: string): string | undefined {
  const problem = validFormat(hash);
  if (problem === undefined || normalizeHash(hash) !== undefined) return undefined;
  return problem;
}

function validFormat(hash: string): string | undefined {
  if (hash.startsWith('$2')) {
    const m = BCRYPT.exec(hash);
    if (m === null) {
      return /^\$2[aby]\$/.test(hash)
        ? 'malformed bcrypt hash (expected $2b$<cost>$ and 53 characters of salt and hash)'
        : 'unsupported bcrypt variant: use $2a$, $2b$ or $2y$';
    }
    const cost = Number(m[1]);
    return cost < 4 || cost > 31 ? `bcrypt cost ${String(cost)} is outside 4-31` : undefined;
  }
  if (hash.startsWith('$argon2id$')) {
    if (!ARGON2ID.test(hash))
      return 'malformed argon2id hash (expected $argon2id$v=19$m=...,t=...,p=...$salt$hash)';
    try {
      argon2.parseOptions(hash);
      return undefined;
    } catch {
      return 'malformed argon2id hash (its salt or hash does not decode)';
    }
  }
  if (hash.startsWith('$argon2i$') || hash.startsWith('$argon2d$'))
    return 'argon2i and argon2d hashes are not accepted: use argon2id';
  return 'not a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$) hash';
}

/** Checks `password` against a hash that passed validateHash (in its normalized form). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (hash.startsWith('$argon2id$')) {
    try {
      return await argon2.verify(hash, password);
    } catch (err) {
      throw new AppError(
        'CONNECTOR_MISCONFIGURED',
        'a configured argon2id hash cannot be verified',
        { cause: err },
      );
    }
  }
  return bcrypt.compare(password, hash);
}

/**
 * A hash of a random password with the same algorithm and cost as `like`: checking a password
 * against it costs what checking a real user's does, so an unknown user takes as long to
 * refuse as a wrong password.
 */
export async function dummyHashLike(like: string | undefined): Promise<string> {
  const secret = randomBytes(18).toString('base64');
  if (like?.startsWith('$argon2id$') === true) {
    const p = argon2.parseOptions(like);
    return argon2.hash(secret, {
      algorithm: ARGON2ID_ALGORITHM,
      memoryCost: p.memoryCost,
      timeCost: p.timeCost,
      parallelism: p.parallelism,
      outputLen: p.outputLen,
      version: p.version,
    });
  }
  const rounds = like === undefined ? BCRYPT_COST : bcrypt.getRounds(like);
  return bcrypt.hash(secret, rounds);
}
