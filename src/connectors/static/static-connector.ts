import {
  normalizeHash,
  validateStaticUsers,
  type StaticPasswordConfig,
} from '../../config/index.js';
import { AppError } from '../../errors.js';
import type {
  Identity,
  LoginResult,
  PasswordConnector,
  RefreshResult,
  Scopes,
} from '../connector.js';
import { dummyHashLike, verifyPassword } from './hash.js';

/**
 * Dex's password DB (`enablePasswordDB` + `staticPasswords`): local users from the config
 * file, checked against bcrypt or argon2id hashes. A person logs in with their email address
 * (any case) or their username.
 */
export interface StaticConnectorOptions {
  /** Connector id; default `local` (Dex's). */
  readonly id?: string;
  /** Shown on the login page; default `Email`. */
  readonly name?: string;
}

interface StaticUser {
  readonly config: StaticPasswordConfig;
  readonly hash: string;
}

export function createStaticConnector(
  users: readonly StaticPasswordConfig[],
  opts: StaticConnectorOptions = {},
): PasswordConnector {
  const problems = validateStaticUsers(users);
  if (problems.length > 0) {
    throw new AppError(
      'CONFIG_INVALID',
      `staticPasswords: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }
  const list: StaticUser[] = users.map((config) => ({
    config,
    hash: normalizeHash(config.hash) ?? config.hash,
  }));
  const byEmail = new Map(list.map((u) => [u.config.email.toLowerCase(), u]));
  const byUsername = new Map(list.map((u) => [u.config.username, u]));
  const byUserId = new Map(list.map((u) => [u.config.userID, u]));

  let dummy: Promise<string> | undefined;
  /** Spends one password check's worth of time on a user that does not exist. */
  const burnOneCheck = async (password: string): Promise<void> => {
    if (dummy === undefined) {
      // Making the dummy hash costs what checking against it costs: the first call does that.
      const making = dummyHashLike(list[0]?.hash);
      dummy = making;
      making.catch(() => {
        if (dummy === making) dummy = undefined;
      });
      await making;
      return;
    }
    await verifyPassword(await dummy, password);
  };

  return {
    id: opts.id ?? 'local',
    name: opts.name ?? 'Email',
    type: 'local',
    usernamePrompt: 'Email address or username',

    async login(_scopes: Scopes, username: string, password: string): Promise<LoginResult> {
      if (password === '') return { ok: false, reason: 'empty_password' };
      const user = byEmail.get(username.toLowerCase()) ?? byUsername.get(username);
      if (user === undefined) {
        await burnOneCheck(password);
        return { ok: false, reason: 'unknown_user' };
      }
      if (!(await verifyPassword(user.hash, password)))
        return { ok: false, reason: 'bad_password' };
      return { ok: true, identity: identityOf(user.config) };
    },

    refresh(_scopes: Scopes, identity: Identity): Promise<RefreshResult> {
      const user = byUserId.get(identity.userId);
      return Promise.resolve(
        user === undefined
          ? { ok: false, reason: 'deleted' }
          : { ok: true, identity: identityOf(user.config) },
      );
    },
  };
}

function identityOf(u: StaticPasswordConfig): Identity {
  return {
    userId: u.userID,
    username: u.username,
    preferredUsername: u.username,
    email: u.email,
    emailVerified: true,
    ...(u.name === undefined ? {} : { name: u.name }),
    groups: [...u.groups],
  };
}
