import type { Findings } from './tree.js';
import { isObject, isSet, itemsAt, objectAt, strings, take, type JsonObject } from './tree.js';

/** Dex's `connectors`, `staticClients` and `staticPasswords`. */

/** Reads the variable a Dex `<key>Env` names into `<key>`. */
function fromEnv(
  obj: JsonObject,
  key: string,
  path: string,
  env: NodeJS.ProcessEnv,
  found: Findings,
): void {
  const name = take(obj, `${key}Env`);
  if (name === undefined) return;
  if (typeof name !== 'string' || name === '') {
    found.refuse(`${path}.${key}Env`, 'expected the name of an environment variable');
  } else if (obj[key] !== undefined) {
    found.refuse(`${path}.${key}Env`, `set either ${key} or ${key}Env, not both`);
  } else if (env[name] === undefined || env[name] === '') {
    found.refuse(`${path}.${key}Env`, `environment variable ${name} is not set`);
  } else obj[key] = env[name];
}

function adaptLdap(c: JsonObject, path: string, found: Findings, fromDex: boolean): void {
  const cfg = objectAt(c, 'config');
  if (cfg === undefined) return;
  const kerberos = take(cfg, 'kerberos');
  if (isObject(kerberos) && kerberos['enabled'] === true)
    found.refuse(
      `${path}.config.kerberos`,
      'Kerberos (SPNEGO) sign-in is not supported: remove it; people sign in with their directory password',
    );
  const user = objectAt(cfg, 'userSearch');
  const username = user?.['username'];
  if (user !== undefined && Array.isArray(username)) {
    if (username.length === 1) user['username'] = username[0] ?? '';
    else
      found.refuse(
        `${path}.config.userSearch.username`,
        'a list of username attributes is not supported yet: give one attribute (e.g. uid), or one per connector',
      );
  }
  if (fromDex) ldapDefaultNotes(cfg, user, path, found);
}

function ldapDefaultNotes(
  cfg: JsonObject,
  user: JsonObject | undefined,
  path: string,
  found: Findings,
): void {
  const idAttr = user?.['idAttr'];
  if (idAttr === undefined)
    found.note(
      `${path}.config.userSearch.idAttr`,
      'unset: sigil uses entryUUID (in Dex the code has no default and logins fail); `sub` comes from it',
    );
  else if (typeof idAttr === 'string' && idAttr.toLowerCase() === 'dn')
    found.note(
      `${path}.config.userSearch.idAttr`,
      'DN: works as in Dex, but `sub` changes when the entry is renamed or moved; an immutable attribute (entryUUID, objectGUID) is safer',
    );
  if (user?.['emailSuffix'] !== undefined)
    found.note(
      `${path}.config.userSearch.emailSuffix`,
      'sigil uses it only for entries without emailAttr, as <username>@<suffix>; Dex always uses <nameAttr value>@<suffix>',
    );
  const host = cfg['host'];
  if (cfg['startTLS'] === true && typeof host === 'string' && !/:\d+$/.test(host))
    found.note(
      `${path}.config.host`,
      'no port with startTLS: sigil connects to 389, Dex to 636; write the port',
    );
}

export function adaptConnectors(tree: JsonObject, found: Findings, fromDex: boolean): void {
  const kept: [JsonObject, number][] = [];
  for (const [c, i] of itemsAt(tree, 'connectors')) {
    const path = `connectors[${i}]`;
    if (isSet(take(c, 'grantTypes')))
      found.note(`${path}.grantTypes`, 'not applied: every grant may use every connector');
    const type = c['type'];
    if (type === 'ldap' || typeof type !== 'string') {
      // Not a Dex connector type at all: the schema says what is wrong with it.
      if (type === 'ldap') adaptLdap(c, path, found, fromDex);
      kept.push([c, i]);
    } else
      found.refuse(
        `${path}.type`,
        `sigil supports ldap (and static passwords, enablePasswordDB); ${JSON.stringify(type)} is not supported: remove this connector (sigil checks passwords itself; it does not send people on to another identity provider)`,
      );
  }
  if (Array.isArray(tree['connectors'])) {
    tree['connectors'] = kept.map(([c]) => c);
    found.connectorIndex = kept.map(([, i]) => i);
  }
}

/** Every connector id a client may use: the connectors and, with the password DB, `local`. */
function connectorIds(tree: JsonObject): string[] {
  const ids = itemsAt(tree, 'connectors').flatMap(([c]) =>
    typeof c['id'] === 'string' ? [c['id']] : [],
  );
  return tree['enablePasswordDB'] === true ? [...ids, 'local'] : ids;
}

const CLIENT_REFUSED: Record<string, string> = {
  mfaChain:
    "Dex's MFA chains are not read: configure sigil's second factor under `mfa` (docs/config.md)",
  clientCredentialsClaims: 'the client credentials grant is not supported',
};
const CLIENT_NOTED: Record<string, string> = {
  logoURL: 'not shown: the consent page shows the client name',
  backchannelLogoutURI: 'not supported: the client is not told when a session ends',
  refreshTokenLifetime: 'not applied per client: expiry.refreshTokens holds for every client',
  ssoSharedWith: 'not applied: a browser session at sigil serves every client',
};

/** Dex's own device-flow callback (`/dex/device/callback`), listed as a relative redirect URI. */
function dropDeviceCallback(c: JsonObject, path: string, found: Findings): void {
  const uris = c['redirectURIs'];
  if (!Array.isArray(uris)) return;
  const kept = uris.filter(
    (u) => !(typeof u === 'string' && /^\/(.*\/)?device\/callback$/.test(u)),
  );
  if (kept.length === uris.length) return;
  c['redirectURIs'] = kept;
  found.note(
    `${path}.redirectURIs`,
    "Dex's device callback is not needed: sigil's device flow uses no redirect URI",
  );
}

export function adaptClients(tree: JsonObject, env: NodeJS.ProcessEnv, found: Findings): void {
  const ids = connectorIds(tree);
  for (const [c, i] of itemsAt(tree, 'staticClients')) {
    const path = `staticClients[${i}]`;
    dropDeviceCallback(c, path, found);
    fromEnv(c, 'id', path, env, found);
    fromEnv(c, 'secret', path, env, found);
    for (const [key, message] of Object.entries(CLIENT_REFUSED))
      if (isSet(take(c, key))) found.refuse(`${path}.${key}`, message);
    for (const [key, message] of Object.entries(CLIENT_NOTED))
      if (isSet(take(c, key))) found.note(`${path}.${key}`, message);
    const allowed = take(c, 'allowedConnectors');
    if (isSet(allowed) && !ids.every((id) => strings(allowed).includes(id)))
      found.refuse(
        `${path}.allowedConnectors`,
        'limiting a client to some connectors is not supported: remove it; limit who may use the client with allowedGroups',
      );
  }
}

export function adaptPasswords(tree: JsonObject, env: NodeJS.ProcessEnv, found: Findings): void {
  for (const [p, i] of itemsAt(tree, 'staticPasswords')) {
    const path = `staticPasswords[${i}]`;
    const hashEnv = take(p, 'hashFromEnv');
    if (typeof hashEnv === 'string' && p['hash'] === undefined) {
      const value = env[hashEnv];
      if (value === undefined || value === '')
        found.refuse(`${path}.hashFromEnv`, `environment variable ${hashEnv} is not set`);
      else p['hash'] = value;
    }
    const preferred = take(p, 'preferredUsername');
    if (preferred !== undefined && preferred !== p['username'])
      found.note(`${path}.preferredUsername`, 'not applied: preferred_username is the username');
    if (take(p, 'emailVerified') === false)
      found.note(`${path}.emailVerified`, 'not applied: static users have email_verified true');
  }
}
