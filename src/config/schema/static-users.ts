import * as argon2 from '@node-rs/argon2';
import { z } from 'zod';

/**
 * Dex's password DB (`enablePasswordDB` + `staticPasswords`): the users' schema and the
 * check of their hashes' format, bcrypt (`$2a$`, `$2b$`, `$2y$`), Dex's legacy
 * base64-encoded bcrypt, and argon2id (`$argon2id$`, PHC string). Checking a password is the
 * static connector's job (connectors/static).
 */
export const staticPassword = z
  .object({
    email: z
      .string()
      .min(3)
      .meta({ description: 'Email address; also accepted as the login name.' }),
    hash: z.string().min(1).meta({
      description:
        'bcrypt (`$2a$`, `$2b$`, `$2y$`) or argon2id (`$argon2id$`) hash of the password. Also `hashFile`.',
    }),
    username: z.string().min(1).meta({ description: 'Login name and `preferred_username`.' }),
    userID: z.string().min(1).meta({ description: 'Stable id: becomes `sub`.' }),
    name: z.string().optional().meta({ description: 'Display name (default: username).' }),
    groups: z
      .array(z.string())
      .default([])
      .meta({ description: 'Groups in the id_token (sigil addition).' }),
  })
  .strict();

export type StaticPasswordConfig = z.output<typeof staticPassword>;

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2ID =
  /^\$argon2id\$v=(16|19)\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface StaticUserProblem {
  /** Config path, e.g. `staticPasswords[2].hash`. */
  readonly path: string;
  readonly message: string;
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

/** Every problem of a `staticPasswords` list: unusable hashes and duplicate logins or ids. */
export function validateStaticUsers(users: readonly StaticPasswordConfig[]): StaticUserProblem[] {
  const problems: StaticUserProblem[] = [];
  const seen = {
    email: new Map<string, number>(),
    username: new Map<string, number>(),
    userID: new Map<string, number>(),
  };
  users.forEach((u, i) => {
    const hashProblem = validateHash(u.hash);
    if (hashProblem !== undefined)
      problems.push({ path: `staticPasswords[${String(i)}].hash`, message: hashProblem });
    const keys = { email: u.email.toLowerCase(), username: u.username, userID: u.userID };
    for (const field of ['email', 'username', 'userID'] as const) {
      const first = seen[field].get(keys[field]);
      if (first === undefined) seen[field].set(keys[field], i);
      else
        problems.push({
          path: `staticPasswords[${String(i)}].${field}`,
          message: `same ${field} as staticPasswords[${String(first)}]`,
        });
    }
  });
  return problems;
}
