import type { Identity } from '../connector.js';
import type { LdapConfig } from '../../config/index.js';
import { LdapDirectory } from './directory.js';
import { userByNameFilter } from './filters.js';
import { identityFromEntry } from './identity.js';
import { createLdapConnector, type LdapLogger } from './ldap-connector.js';
import { resolveLdapSettings } from './settings.js';

/** Claims of the id_token the identity would get (the shape kube-apiserver reads). */
function claimLines(identity: Identity): string[] {
  return [
    `  sub: ${identity.userId}`,
    `  preferred_username: ${identity.preferredUsername ?? identity.username}`,
    `  email: ${identity.email ?? '(none)'}`,
    `  email_verified: ${String(identity.emailVerified)}`,
    `  name: ${identity.name ?? '(none)'}`,
    `  groups: ${identity.groups.length === 0 ? '[]' : JSON.stringify(identity.groups)}`,
  ];
}

/**
 * `sigil ldap check`: walks the configuration against the live directory and prints what it
 * finds, one line per step. Throws AppError with a one-line message for what makes the
 * connector unusable: a filter that does not parse (CONFIG_INVALID), TLS or connection
 * failures (CONNECTOR_UNAVAILABLE, naming TLS), a refused service bind or a missing base DN
 * (CONNECTOR_MISCONFIGURED). A user that is not found or a refused password is a finding,
 * printed, not thrown, and answered as the outcome. The password is never printed.
 */
export type LdapCheckOutcome = 'ok' | 'user_not_found' | 'user_ambiguous' | 'login_refused';

export async function runLdapCheck(
  cfg: LdapConfig,
  opts: { username?: string; password?: string },
  out: (line: string) => void,
): Promise<{ outcome: LdapCheckOutcome }> {
  const settings = resolveLdapSettings(cfg);
  const u = cfg.userSearch;
  out(
    `hosts: ${settings.hosts.map((h) => h.label).join(', ')} (${settings.tlsMode === 'none' ? 'no TLS' : settings.tlsMode})`,
  );
  out(`userSearch.filter: ${settings.userFilter?.toString() ?? '(none)'}`);
  if (cfg.groupSearch !== undefined)
    out(`groupSearch.filter: ${settings.groupFilter?.toString() ?? '(none)'}`);
  const dir = new LdapDirectory(settings, {});
  try {
    await dir.search(u.baseDN, { scope: 'base', attributes: ['1.1'] });
    out(`bind: ok (${settings.bind === undefined ? 'anonymous' : settings.bind.dn})`);
    out(`userSearch.baseDN: ok (${u.baseDN})`);
    if (cfg.groupSearch !== undefined) {
      await dir.search(cfg.groupSearch.baseDN, { scope: 'base', attributes: ['1.1'] });
      out(`groupSearch.baseDN: ok (${cfg.groupSearch.baseDN})`);
    }
    if (opts.username === undefined) return { outcome: 'ok' };
    out(
      `user search: ${userByNameFilter(settings.userFilter, u.username, opts.username).toString()}`,
    );
    const entries = await dir.findByUsername(opts.username);
    const [entry, second] = entries;
    if (entry === undefined) {
      out('user: no entry matches');
      return { outcome: 'user_not_found' };
    }
    if (second !== undefined) {
      out(`user: more than one entry matches (${entry.dn}; ${second.dn}): logins would be refused`);
      return { outcome: 'user_ambiguous' };
    }
    out(`user: ${entry.dn}`);
    if (opts.password !== undefined) {
      const loggedIn = await checkLogin(cfg, opts.username, opts.password, out);
      return { outcome: loggedIn ? 'ok' : 'login_refused' };
    }
    const groups = await dir.groups(entry, silent(out));
    out('id_token would carry:');
    for (const line of claimLines(identityFromEntry(cfg, entry, groups, opts.username))) out(line);
    return { outcome: 'ok' };
  } finally {
    await dir.close();
  }
}

async function checkLogin(
  cfg: LdapConfig,
  username: string,
  password: string,
  out: (line: string) => void,
): Promise<boolean> {
  const connector = createLdapConnector('check', 'check', cfg, silent(out));
  try {
    const result = await connector.login(
      { groups: true, offlineAccess: false },
      username,
      password,
    );
    if (!result.ok) {
      out(`login: refused (${result.reason})`);
      return false;
    }
    out('login: ok');
    out('id_token would carry:');
    for (const line of claimLines(result.identity)) out(line);
    return true;
  } finally {
    await connector.close?.();
  }
}

/** Warnings of the group search become output lines; nothing else is printed. */
function silent(out: (line: string) => void): LdapLogger {
  const none = () => undefined;
  return {
    debug: none,
    info: none,
    warn: (_obj, msg) => {
      out(`warning: ${msg}`);
    },
    error: (_obj, msg) => {
      out(`error: ${msg}`);
    },
  };
}
