import type { Entry } from 'ldapts';
import { AppError } from '../../errors.js';
import type { Identity } from '../connector.js';
import type { LdapConfig } from '../../config/index.js';
import { firstNonEmpty, stableId, truthy } from './entry.js';

/** What the connector keeps for refresh: the DN only (opaque to everything else). */
export type LdapConnectorData = {
  readonly dn: string;
};

/**
 * The Identity an entry stands for. `userId` (→ `sub`) comes from idAttr and never from the
 * DN; an entry without it is a configuration error. `username` is the directory's spelling of
 * the username attribute (falling back to what was typed). Email: emailAttr, else
 * `<username>@<emailSuffix>`, else none; email_verified from emailVerifiedAttr when the entry
 * has it, else the configured `emailVerified`.
 */
export function identityFromEntry(
  cfg: LdapConfig,
  entry: Entry,
  groups: readonly string[],
  fallbackUsername: string,
): Identity {
  const u = cfg.userSearch;
  const userId = stableId(entry, u.idAttr);
  if (userId === undefined)
    throw new AppError(
      'CONNECTOR_MISCONFIGURED',
      `LDAP user entry has no ${u.idAttr} (userSearch.idAttr); cannot issue a stable sub`,
    );
  const username = firstNonEmpty(entry, u.username) ?? fallbackUsername;
  const preferredUsername = firstNonEmpty(entry, u.preferredUsernameAttr ?? u.username) ?? username;
  const email =
    firstNonEmpty(entry, u.emailAttr) ??
    (u.emailSuffix === undefined ? undefined : `${username}@${u.emailSuffix}`);
  const verifiedValue = firstNonEmpty(entry, u.emailVerifiedAttr);
  const name = firstNonEmpty(entry, u.nameAttr);
  const data: LdapConnectorData = { dn: entry.dn };
  return {
    userId,
    username,
    preferredUsername,
    ...(email === undefined ? {} : { email }),
    emailVerified: verifiedValue === undefined ? u.emailVerified : truthy(verifiedValue),
    ...(name === undefined ? {} : { name }),
    groups: [...groups],
    connectorData: data,
  };
}

export function connectorDn(identity: Identity): string | undefined {
  const dn = identity.connectorData?.['dn'];
  return typeof dn === 'string' ? dn : undefined;
}
