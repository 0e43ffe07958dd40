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
/**
 * `Algorithm.Argon2id`: the library types it as an ambient const enum, which
 * verbatimModuleSyntax cannot read, so its value (2) is spelled out.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- see above
const ARGON2ID_ALGORITHM = 2 as argon2.Algorithm;

/** A new hash of `password` for a `staticPasswords` entry (bcrypt cost 10, or argon2id defaults). */
export async function hashPassword(
  password: string,
  algo: HashAlgorithm = 'bcrypt',
): Promise<string> {
  if (password === '') throw new AppError('BAD_REQUEST', 'refusing to hash an empty password');
  if (algo === 'argon2id') return argon2.hash(password, { algorithm: ARGON2ID_ALGORITHM });
  return bcrypt.hash(password, BCRYPT_COST);
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
