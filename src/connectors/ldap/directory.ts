import { randomBytes } from 'node:crypto';
import {
  BusyError,
  NoSuchObjectError,
  ResultCodeError,
  TimeLimitExceededError,
  UnavailableError,
  type Entry,
  type Filter,
  type SearchOptions,
} from 'ldapts';
import { AppError } from '../../errors.js';
import { ACCOUNT_STATE_ATTRIBUTES } from './account-state.js';
import { idSearchValues, isDnAttr, isObjectGuid } from './entry.js';
import { idOnlyFilter, userByIdFilter, userByNameFilter } from './filters.js';
import { groupCacheFor, type GroupCache, type GroupCacheOptions } from './group-cache.js';
import { resolveGroups, type GroupLog } from './groups.js';
import { ServicePool } from './pool.js';
import type { LdapSettings } from './settings.js';
import {
  closeQuietly,
  ldapErrorText,
  isTransportError,
  Transport,
  unavailable,
  type Connection,
  type LdapHooks,
} from './transport.js';
import { withTimeout } from '../../lib/index.js';

export type FindByIdResult = { readonly entry: Entry } | { readonly gone: 'deleted' | 'moved' };

/** Result codes that mean "the server cannot serve now", not "the configuration is wrong". */
function isOutage(err: unknown): boolean {
  return (
    err instanceof BusyError ||
    err instanceof UnavailableError ||
    err instanceof TimeLimitExceededError
  );
}

function searchError(err: unknown, base: string, host: string): unknown {
  if (err instanceof AppError) return err;
  if (isTransportError(err)) return unavailable([{ label: host, err }]);
  if (err instanceof NoSuchObjectError)
    return new AppError('CONNECTOR_MISCONFIGURED', `LDAP base DN does not exist: ${base}`, {
      cause: err,
    });
  if (isOutage(err))
    return new AppError('CONNECTOR_UNAVAILABLE', `LDAP search failed: ${ldapErrorText(err)}`, {
      cause: err,
    });
  return new AppError(
    'CONNECTOR_MISCONFIGURED',
    `LDAP search under ${base} failed: ${ldapErrorText(err)}`,
    { cause: err },
  );
}

/**
 * The directory as the connector sees it: searches through the pooled service connections,
 * user binds on their own short-lived connections. Every outage leaves here as
 * AppError('CONNECTOR_UNAVAILABLE'), every answer that contradicts the configuration as
 * AppError('CONNECTOR_MISCONFIGURED'); a user bind's rejection is thrown as the ldapts error
 * for the caller to interpret.
 */
export class LdapDirectory {
  readonly settings: LdapSettings;
  readonly #transport: Transport;
  readonly #pool: ServicePool;
  readonly #userAttributes: string[];
  readonly #bufferAttributes: string[];
  /** The group graph (group → parents), undefined when groupCacheTTL is 0. */
  readonly groupCache: GroupCache | undefined;

  constructor(
    settings: LdapSettings,
    hooks: LdapHooks,
    cache: Omit<GroupCacheOptions, 'ttlMs'> = {},
  ) {
    this.settings = settings;
    this.groupCache = groupCacheFor({ ...cache, ttlMs: settings.config.groupCacheTTL });
    this.#transport = new Transport(settings, hooks);
    this.#pool = new ServicePool(
      this.#transport,
      (conn) => this.#serviceBind(conn),
      settings.poolSize,
    );
    const u = settings.config.userSearch;
    const attrs = [
      u.username,
      u.idAttr,
      u.emailAttr,
      u.nameAttr,
      u.preferredUsernameAttr,
      u.emailVerifiedAttr,
    ];
    for (const m of settings.matchers) attrs.push(m.userAttr);
    attrs.push(...ACCOUNT_STATE_ATTRIBUTES);
    const wanted = attrs.filter((a): a is string => a !== undefined && !isDnAttr(a));
    this.#userAttributes = [...new Set(wanted)];
    // The id is read as bytes so binary ids are not mangled; ldapts matches names case-sensitively.
    this.#bufferAttributes = [
      ...new Set([
        u.idAttr,
        u.idAttr.toLowerCase(),
        ...(isObjectGuid(u.idAttr) ? ['objectGUID'] : []),
      ]),
    ];
  }

  async #serviceBind(conn: Connection): Promise<void> {
    const bind = this.settings.bind;
    try {
      await this.#transport.timed('bind', conn.host, () =>
        bind === undefined ? conn.client.bind('') : conn.client.bind(bind.dn, bind.password),
      );
    } catch (err) {
      if (!(err instanceof ResultCodeError)) throw err;
      const who = bind === undefined ? 'anonymous bind' : `bind as ${bind.dn}`;
      throw new AppError(
        'CONNECTOR_MISCONFIGURED',
        `LDAP service account ${who} refused by ${conn.host.label}: ${ldapErrorText(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** One search on a pooled service connection. */
  async search(base: string, options: SearchOptions): Promise<Entry[]> {
    let host = this.settings.hosts[0]?.label ?? '';
    try {
      return await this.#pool.use(async (conn) => {
        host = conn.host.label;
        const r = await this.#transport.timed('search', conn.host, () =>
          conn.client.search(base, options),
        );
        return r.searchEntries;
      });
    } catch (err) {
      throw searchError(err, base, host);
    }
  }

  #userSearch(filter: Filter): Promise<Entry[]> {
    const u = this.settings.config.userSearch;
    return this.search(u.baseDN, {
      scope: u.scope,
      filter,
      sizeLimit: 2,
      attributes: this.#userAttributes,
      explicitBufferAttributes: this.#bufferAttributes,
    });
  }

  /** Up to two entries whose username attribute equals `username` (two means ambiguous). */
  findByUsername(username: string): Promise<Entry[]> {
    const u = this.settings.config.userSearch;
    return this.#userSearch(userByNameFilter(this.settings.userFilter, u.username, username));
  }

  /** The entry with this stable id, or why there is none (it left the filter, or is gone). */
  async findById(id: string): Promise<FindByIdResult> {
    const idAttr = this.settings.config.userSearch.idAttr;
    const values = idSearchValues(idAttr, id);
    for (const value of values) {
      const entries = await this.#userSearch(
        userByIdFilter(this.settings.userFilter, idAttr, value),
      );
      if (entries.length > 1)
        throw new AppError(
          'CONNECTOR_MISCONFIGURED',
          `LDAP: more than one entry has ${idAttr}=${id}; idAttr must be unique`,
        );
      const [entry] = entries;
      if (entry !== undefined) return { entry };
    }
    if (this.settings.userFilter !== undefined) {
      for (const value of values) {
        if ((await this.#userSearch(idOnlyFilter(idAttr, value))).length > 0)
          return { gone: 'moved' };
      }
    }
    return { gone: 'deleted' };
  }

  /** Group names of the user (paged searches under groupSearch.baseDN). */
  groups(user: Entry, log: GroupLog): Promise<string[]> {
    const g = this.settings.config.groupSearch;
    if (g === undefined) return Promise.resolve([]);
    return resolveGroups(
      this.settings,
      user,
      (filter, attributes) =>
        this.search(g.baseDN, {
          scope: g.scope,
          filter,
          attributes,
          paged: { pageSize: g.pageSize },
        }),
      log,
      this.groupCache,
    );
  }

  /**
   * Binds as `dn` on a connection of its own, closed before returning: pooled service
   * connections are never rebound as a user. Resolves when the password is right; rejects
   * with the ldapts error when the server refuses, or AppError('CONNECTOR_UNAVAILABLE').
   */
  async userBind(dn: string, password: string): Promise<void> {
    const opened = await this.#transport.open((conn) =>
      this.#transport.timed('bind', conn.host, () => conn.client.bind(dn, password)),
    );
    await closeQuietly(opened.client);
  }

  /**
   * The cost of a user bind without a user: a new connection and a bind as an entry that does
   * not exist, with a random password (the typed one goes nowhere). Used when the username
   * matched nothing, so "no such user" takes as long as "wrong password". Its outcome is ignored.
   */
  async decoyBind(): Promise<void> {
    const dn = `cn=sigil-decoy-${randomBytes(6).toString('hex')},${this.settings.config.userSearch.baseDN}`;
    await this.userBind(dn, randomBytes(18).toString('base64url')).catch(() => undefined);
  }

  /** Throws AppError('CONNECTOR_UNAVAILABLE') unless a service connection answers within timeoutMs. */
  async ping(timeoutMs: number): Promise<void> {
    const probe = this.search(this.settings.config.userSearch.baseDN, {
      scope: 'base',
      attributes: ['1.1'],
    });
    await withTimeout(
      probe,
      timeoutMs,
      () =>
        new AppError('CONNECTOR_UNAVAILABLE', `LDAP did not answer within ${String(timeoutMs)}ms`),
    );
  }

  close(): Promise<void> {
    this.groupCache?.clear();
    return this.#pool.close();
  }
}
