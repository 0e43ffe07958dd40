import { ResultCodeError, type Entry } from 'ldapts';
import { AppError } from '../../errors.js';
import { dexSubject } from '../../lib/index.js';
import type {
  Identity,
  LoginFailureReason,
  LoginResult,
  PasswordConnector,
  RefreshFailureReason,
  RefreshResult,
  Scopes,
} from '../connector.js';
import { accountState } from './account-state.js';
import { adSubCode, bindFailureReason } from './bind-failure.js';
import type { LdapConfig } from '../../config/index.js';
import { LdapDirectory } from './directory.js';
import type { GroupCacheOptions } from './group-cache.js';
import { connectorDn, identityFromEntry } from './identity.js';
import { resolveLdapSettings } from './settings.js';
import { ldapErrorText, type LdapHooks } from './transport.js';
import { isAcceptableUsername } from './username.js';

/** The logging a connector needs; a pino Logger fits. Never given a password. */
export interface LdapLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Optional observers (metrics: timing of binds and searches per host, failovers, group cache
 * hits and misses) and the group cache's bounds (tests: a small size limit, a clock).
 */
export type LdapConnectorOptions = LdapHooks & Omit<GroupCacheOptions, 'ttlMs'>;

const fail = (reason: LoginFailureReason): LoginResult => ({ ok: false, reason });
const refuse = (reason: RefreshFailureReason): RefreshResult => ({ ok: false, reason });

/**
 * The LDAP / Active Directory connector, Dex semantics: search as the service account, bind as
 * the entry found. See docs in config.ts for the keys; the behaviour, step by step:
 *
 * login: empty password → empty_password and unusable usernames → invalid_username, both
 * before any I/O. Search with sizeLimit 2: none → unknown_user (after a decoy bind of the same
 * cost, so timing does not tell unknown users from wrong passwords); two or more →
 * ambiguous_user and an error log (the configuration lets a username name several people).
 * Bind as the entry on a separate connection: InvalidCredentials / ConstraintViolation are
 * refused logins, refined by AD's sub-code or by the entry's lock state (ppolicy answers a
 * locked account with plain InvalidCredentials). After a successful bind, userAccountControl
 * bits are honoured (OpenLDAP and 389-ds ignore them).
 *
 * refresh: the user is found again by the stable id (not the DN); gone → deleted, out of the
 * filter → moved, disabled / locked / expired → refused (an expired password counts as expired;
 * any pwdAccountLockedTime counts as locked, see account-state.ts). A changed DN is followed (Dex refuses
 * it; the id is what is stable, and a rename must not log people out) and the new DN kept.
 */
export function createLdapConnector(
  id: string,
  name: string,
  cfg: LdapConfig,
  log: LdapLogger,
  options: LdapConnectorOptions = {},
): PasswordConnector {
  const settings = resolveLdapSettings(cfg);
  const { maxEntries, now, onGroupCache, ...hooks } = options;
  const dir = new LdapDirectory(settings, hooks, {
    ...(maxEntries === undefined ? {} : { maxEntries }),
    ...(now === undefined ? {} : { now }),
    ...(onGroupCache === undefined ? {} : { onGroupCache }),
  });
  const groupsOf = (entry: Entry, scopes: Scopes) =>
    scopes.groups ? dir.groups(entry, log) : Promise.resolve([]);
  // subjectFormat dex: the `sub` Dex issued through a connector of this id.
  const withSubject = (identity: Identity): Identity =>
    cfg.subjectFormat === 'dex'
      ? { ...identity, subject: dexSubject(identity.userId, id) }
      : identity;

  return {
    id,
    name,
    type: 'ldap',
    usernamePrompt: cfg.usernamePrompt,
    ...(cfg.outagePolicy === 'failClosed'
      ? {}
      : { outage: { lastKnownMs: cfg.outagePolicy.lastKnown } }),

    async login(scopes: Scopes, username: string, password: string): Promise<LoginResult> {
      // An empty password is an unauthenticated bind, which some servers accept: never send it.
      if (password === '') return fail('empty_password');
      if (!isAcceptableUsername(username)) return fail('invalid_username');
      const entries = await dir.findByUsername(username);
      const [entry, second] = entries;
      if (entry === undefined) {
        await dir.decoyBind();
        return fail('unknown_user');
      }
      if (second !== undefined) {
        logAmbiguous(log, { connector: id, username, cfg, dns: [entry.dn, second.dn] });
        return fail('ambiguous_user');
      }
      const refused = await bindAs(dir, entry, password);
      if (refused !== undefined) return fail(refused);
      const state = accountState(entry, { includePpolicyLock: false });
      if (state !== undefined) return fail(state);
      return {
        ok: true,
        identity: withSubject(
          identityFromEntry(cfg, entry, await groupsOf(entry, scopes), username),
        ),
      };
    },

    refresh(scopes: Scopes, identity: Identity): Promise<RefreshResult> {
      return refreshIdentity({ id, cfg, log, dir, groupsOf, withSubject }, scopes, identity);
    },

    ping(timeoutMs: number): Promise<void> {
      return dir.ping(timeoutMs);
    },

    close(): Promise<void> {
      return dir.close();
    },
  };
}

/** What a refresh needs of its connector. */
interface RefreshParts {
  readonly id: string;
  readonly cfg: LdapConfig;
  readonly log: LdapLogger;
  readonly dir: LdapDirectory;
  readonly groupsOf: (entry: Entry, scopes: Scopes) => Promise<string[]>;
  readonly withSubject: (identity: Identity) => Identity;
}

/** A refresh: the person found again by their stable id, their account state and groups re-read. */
async function refreshIdentity(
  p: RefreshParts,
  scopes: Scopes,
  identity: Identity,
): Promise<RefreshResult> {
  const { id, cfg, log, dir, groupsOf, withSubject } = p;
  const found = await dir.findById(identity.userId);
  if ('gone' in found) return refuse(found.gone);
  const { entry } = found;
  const state = accountState(entry, { includePpolicyLock: true });
  if (state !== undefined) return refuse(state === 'password_expired' ? 'expired' : state);
  const oldDn = connectorDn(identity);
  if (oldDn !== undefined && oldDn.toLowerCase() !== entry.dn.toLowerCase())
    log.info(
      { connector: id, userId: identity.userId, from: oldDn, to: entry.dn },
      'ldap: user entry was renamed; following its stable id',
    );
  const next = identityFromEntry(cfg, entry, await groupsOf(entry, scopes), identity.username);
  if (next.userId !== identity.userId)
    throw new AppError(
      'CONNECTOR_MISCONFIGURED',
      `LDAP: searching ${cfg.userSearch.idAttr}=${identity.userId} returned another id`,
    );
  return { ok: true, identity: withSubject(next) };
}

/** Binds as the entry: undefined when the password is right, else why the login is refused. */
async function bindAs(
  dir: LdapDirectory,
  entry: Entry,
  password: string,
): Promise<LoginFailureReason | undefined> {
  try {
    await dir.userBind(entry.dn, password);
    return undefined;
  } catch (err) {
    if (err instanceof AppError) throw err;
    const reason = bindFailureReason(err);
    if (reason === undefined) {
      throw new AppError(
        'CONNECTOR_MISCONFIGURED',
        `LDAP refused the user bind unexpectedly: ${ldapErrorText(err)}`,
        {
          cause: err,
        },
      );
    }
    if (
      reason === 'bad_password' &&
      err instanceof ResultCodeError &&
      adSubCode(err.message) === undefined
    )
      return accountState(entry, { includePpolicyLock: true }) ?? reason;
    return reason;
  }
}

function logAmbiguous(
  log: LdapLogger,
  at: { connector: string; username: string; cfg: LdapConfig; dns: string[] },
): void {
  log.error(
    {
      connector: at.connector,
      username: at.username,
      baseDN: at.cfg.userSearch.baseDN,
      attribute: at.cfg.userSearch.username,
      dns: at.dns,
    },
    'ldap: the username matches more than one entry; login refused (make userSearch.username/filter unique)',
  );
}
