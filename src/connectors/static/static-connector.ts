import {
  normalizeHash,
  validateStaticUsers,
  type StaticPasswordConfig,
} from '../../config/index.js';
import { AppError } from '../../errors.js';
import { dexSubject } from '../../lib/index.js';
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
  /** The users `sigil import dex` brought over from Dex's password DB (after the config's). */
  readonly imported?: ImportedPasswordUsers;
}

/** A user of Dex's password DB, as imported (bcrypt hash as Dex stored it). */
export interface ImportedPasswordUser {
  readonly email: string;
  readonly hash: string;
  readonly username: string;
  readonly preferredUsername?: string;
  readonly userId: string;
  readonly name?: string;
  readonly emailVerified: boolean;
  readonly groups: readonly string[];
}

/** Where the imported users are looked up (the database); a lookup that fails throws. */
export interface ImportedPasswordUsers {
  /** By email (any case) or username. */
  byLogin(login: string): Promise<ImportedPasswordUser | undefined>;
  byUserId(userId: string): Promise<ImportedPasswordUser | undefined>;
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

  const id = opts.id ?? 'local';
  return {
    id,
    name: opts.name ?? 'Email',
    type: 'local',
    usernamePrompt: 'Email address or username',

    async login(_scopes: Scopes, username: string, password: string): Promise<LoginResult> {
      if (password === '') return { ok: false, reason: 'empty_password' };
      const user = byEmail.get(username.toLowerCase()) ?? byUsername.get(username);
      if (user === undefined) {
        const imported = await opts.imported?.byLogin(username);
        if (imported !== undefined) {
          if (!(await verifyPassword(imported.hash, password)))
            return { ok: false, reason: 'bad_password' };
          return { ok: true, identity: importedIdentity(imported, id) };
        }
        await burnOneCheck(password);
        return { ok: false, reason: 'unknown_user' };
      }
      if (!(await verifyPassword(user.hash, password)))
        return { ok: false, reason: 'bad_password' };
      return { ok: true, identity: identityOf(user.config) };
    },

    async refresh(_scopes: Scopes, identity: Identity): Promise<RefreshResult> {
      const user = byUserId.get(identity.userId);
      if (user !== undefined) return { ok: true, identity: identityOf(user.config) };
      const imported = await opts.imported?.byUserId(identity.userId);
      return imported === undefined
        ? { ok: false, reason: 'deleted' }
        : { ok: true, identity: importedIdentity(imported, id) };
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

/**
 * An imported Dex user: their `sub` stays the one Dex issued (base64url protobuf of the user id
 * and the connector id), so tokens, RBAC bindings and audit trails keep naming them alike.
 */
function importedIdentity(u: ImportedPasswordUser, connectorId: string): Identity {
  return {
    userId: u.userId,
    subject: dexSubject(u.userId, connectorId),
    username: u.username,
    preferredUsername: u.preferredUsername ?? u.username,
    email: u.email,
    emailVerified: u.emailVerified,
    ...(u.name === undefined ? {} : { name: u.name }),
    groups: [...u.groups],
  };
}
