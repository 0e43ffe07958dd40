import type { Client as LdapClient } from 'ldapts';
import { inject } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { LdapConfigInput } from '../../src/config/index.js';
import { adminClient, deleteTree } from '../integration/ldap/support.js';
import { LDAP_FIXTURES } from './slapd.js';

export interface TestUser {
  uid: string;
  /** Display name (cn). */
  name: string;
  /** Defaults to `<uid>-pw`. */
  password?: string;
  groups?: string[];
}

export interface TestOu {
  readonly peopleDN: string;
  readonly groupsDN: string;
  /** An `ldap` connector entry for sigil's config, searching only this OU. */
  connector(id?: string, name?: string): ConnectorEntry;
  cleanup(): Promise<void>;
}

export type ConnectorEntry = NonNullable<ConfigInput['connectors']>[number];

/**
 * An `ldap` connector entry for sigil's config against the test slapd: ldaps with the test CA,
 * the service account's bind, people (inetOrgPerson, by uid) under `peopleDN` and, with
 * `groupsDN`, their groupOfNames groups by DN. `over` replaces whole keys of the config.
 */
export function slapdConnector(
  search: { peopleDN: string; groupsDN?: string; idAttr?: string },
  over: Partial<LdapConfigInput> = {},
  entry: { id: string; name: string } = { id: 'corp', name: 'Corporate directory' },
): ConnectorEntry {
  return {
    type: 'ldap',
    ...entry,
    config: {
      host: `127.0.0.1:${new URL(inject('ldapsUrl')).port}`,
      rootCA: inject('ldapCaFile'),
      bindDN: LDAP_FIXTURES.serviceDN,
      bindPW: LDAP_FIXTURES.servicePassword,
      userSearch: {
        baseDN: search.peopleDN,
        filter: '(objectClass=inetOrgPerson)',
        username: 'uid',
        ...(search.idAttr === undefined ? {} : { idAttr: search.idAttr }),
      },
      ...(search.groupsDN === undefined
        ? {}
        : {
            groupSearch: {
              baseDN: search.groupsDN,
              filter: '(objectClass=groupOfNames)',
              userMatchers: [{ userAttr: 'DN', groupAttr: 'member' }],
              nameAttr: 'cn',
            },
          }),
      ...over,
    },
  };
}

/**
 * Creates `ou=<name>` under People and Groups in the test slapd with the given users and
 * their groups (groupOfNames), replacing anything left there by an earlier run. Each test
 * file owns its own OU (Dex's rule).
 */
export async function createTestOu(name: string, users: readonly TestUser[]): Promise<TestOu> {
  const peopleDN = `ou=${name},${LDAP_FIXTURES.peopleDN}`;
  const groupsDN = `ou=${name},${LDAP_FIXTURES.groupsDN}`;
  const admin: LdapClient = await adminClient();
  try {
    await deleteTree(admin, peopleDN);
    await deleteTree(admin, groupsDN);
    await admin.add(peopleDN, { objectClass: 'organizationalUnit', ou: name });
    await admin.add(groupsDN, { objectClass: 'organizationalUnit', ou: name });
    const members = new Map<string, string[]>();
    for (const u of users) {
      const dn = `uid=${u.uid},${peopleDN}`;
      await admin.add(dn, {
        objectClass: 'inetOrgPerson',
        uid: u.uid,
        cn: u.name,
        sn: u.name.split(' ').at(-1) ?? u.uid,
        mail: `${u.uid}@example.org`,
        userPassword: u.password ?? `${u.uid}-pw`,
      });
      for (const g of u.groups ?? []) members.set(g, [...(members.get(g) ?? []), dn]);
    }
    for (const [g, member] of members)
      await admin.add(`cn=${g},${groupsDN}`, { objectClass: 'groupOfNames', cn: g, member });
  } finally {
    await admin.unbind();
  }
  return {
    peopleDN,
    groupsDN,
    connector: (id = 'corp', name = 'Corporate directory') =>
      slapdConnector(
        { peopleDN, groupsDN, idAttr: 'entryUUID' },
        { usernamePrompt: 'Corporate username', connectTimeout: '2s', timeout: '5s' },
        { id, name },
      ),
    async cleanup() {
      const a = await adminClient();
      try {
        await deleteTree(a, peopleDN);
        await deleteTree(a, groupsDN);
      } finally {
        await a.unbind();
      }
    },
  };
}
