import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LdapConfigInput } from '../../../src/config/index.js';
import type { Identity, PasswordConnector } from '../../../src/connectors/connector.js';
import {
  createLdapConnector,
  type LdapConnectorOptions,
} from '../../../src/connectors/ldap/index.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import { ALL_SCOPES, adminClient, captureLog, deleteTree, testConfig } from './support.js';

// The group graph cache (groupCacheTTL): group → parent groups cached per connector; the user
// and the direct memberships read every time. Everything this file changes is under
// ou=TestGroupCache.
const PEOPLE = `ou=TestGroupCache,${LDAP_FIXTURES.peopleDN}`;
const GROUPS = `ou=TestGroupCache,${LDAP_FIXTURES.groupsDN}`;
const userDn = (uid: string) => `uid=${uid},${PEOPLE}`;
const groupDn = (cn: string) => `cn=${cn},${GROUPS}`;

/** team ⊂ dept ⊂ division; other-team ⊂ dept. */
const TREE: Record<string, string[]> = {
  team: [userDn('gc-1'), userDn('gc-2')],
  'other-team': [userDn('gc-3')],
  dept: [groupDn('team'), groupDn('other-team')],
  division: [groupDn('dept')],
};

interface Counted {
  connector: PasswordConnector;
  searches: () => number;
  cacheEvents: { hit: number; miss: number; size: number };
}

/** A connector on this OU's groups, counting its LDAP searches and cache lookups. */
function connectorWith(over: Partial<LdapConfigInput>, opts: LdapConnectorOptions = {}): Counted {
  let searches = 0;
  const cacheEvents = { hit: 0, miss: 0, size: 0 };
  const base = testConfig();
  const connector = createLdapConnector(
    'ldap',
    'LDAP',
    testConfig({
      userSearch: { ...base.userSearch, baseDN: PEOPLE },
      groupSearch: {
        baseDN: GROUPS,
        filter: '(objectClass=groupOfNames)',
        userMatchers: [{ userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' }],
        nameAttr: 'cn',
      },
      ...over,
    }),
    captureLog(),
    {
      observe: (op) => {
        if (op === 'search') searches++;
      },
      onGroupCache: (result, size) => {
        cacheEvents[result]++;
        cacheEvents.size = size;
      },
      ...opts,
    },
  );
  return { connector, searches: () => searches, cacheEvents };
}

async function loginAs(c: PasswordConnector, uid: string): Promise<Identity> {
  const result = await c.login(ALL_SCOPES, uid, `${uid}-pw`);
  if (!result.ok) throw new Error(`login ${uid}: ${result.reason}`);
  return result.identity;
}

async function refreshGroups(c: PasswordConnector, identity: Identity): Promise<readonly string[]> {
  const r = await c.refresh(ALL_SCOPES, identity);
  if (!r.ok) throw new Error(`refresh: ${r.reason}`);
  return r.identity.groups;
}

describe('ldap group graph cache', () => {
  let admin: Client;
  const opened: PasswordConnector[] = [];
  const open = (over: Partial<LdapConfigInput>, opts: LdapConnectorOptions = {}) => {
    const c = connectorWith(over, opts);
    opened.push(c.connector);
    return c;
  };
  const members = (dn: string, operation: 'add' | 'delete', values: string[]) =>
    admin.modify(
      dn,
      new Change({ operation, modification: new Attribute({ type: 'member', values }) }),
    );

  beforeAll(async () => {
    admin = await adminClient();
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.add(PEOPLE, { objectClass: 'organizationalUnit', ou: 'TestGroupCache' });
    await admin.add(GROUPS, { objectClass: 'organizationalUnit', ou: 'TestGroupCache' });
    for (const uid of ['gc-1', 'gc-2', 'gc-3', 'gc-4'])
      await admin.add(userDn(uid), {
        objectClass: 'inetOrgPerson',
        uid,
        cn: uid,
        sn: uid,
        userPassword: `${uid}-pw`,
      });
    for (const [cn, member] of Object.entries(TREE))
      await admin.add(groupDn(cn), { objectClass: 'groupOfNames', cn, member });
  });
  afterAll(async () => {
    await Promise.all(opened.map(async (c) => c.close?.()));
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.unbind();
  });

  it('with a warm cache, a refresh searches twice: the user and the direct memberships', async () => {
    const { connector, searches, cacheEvents } = open({});
    const identity = await loginAs(connector, 'gc-1');
    expect(identity.groups).toEqual(['dept', 'division', 'team']);
    const before = searches();
    expect(await refreshGroups(connector, identity)).toEqual(['dept', 'division', 'team']);
    expect(searches() - before).toBe(2);
    expect(cacheEvents.hit).toBeGreaterThanOrEqual(2);
    // Another member of the same team shares the cached graph: 2 searches at its first refresh.
    const second = await loginAs(connector, 'gc-2');
    const at = searches();
    expect(await refreshGroups(connector, second)).toEqual(['dept', 'division', 'team']);
    expect(searches() - at).toBe(2);
  });

  it('sees a removed direct membership at once, within the TTL', async () => {
    const { connector } = open({});
    const identity = await loginAs(connector, 'gc-4');
    expect(identity.groups).toEqual([]);
    await members(groupDn('other-team'), 'add', [userDn('gc-4')]);
    try {
      expect(await refreshGroups(connector, identity)).toEqual(['dept', 'division', 'other-team']);
    } finally {
      await members(groupDn('other-team'), 'delete', [userDn('gc-4')]);
    }
    expect(await refreshGroups(connector, identity)).toEqual([]);
  });

  it('shows a change of nesting once the TTL has passed, not before', async () => {
    let now = 1_000_000;
    const { connector } = open({ groupCacheTTL: '60s' }, { now: () => now });
    const identity = await loginAs(connector, 'gc-3');
    expect(identity.groups).toEqual(['dept', 'division', 'other-team']);
    await members(groupDn('dept'), 'delete', [groupDn('other-team')]);
    try {
      now += 59_000;
      expect(await refreshGroups(connector, identity)).toEqual(['dept', 'division', 'other-team']);
      now += 2_000;
      expect(await refreshGroups(connector, identity)).toEqual(['other-team']);
    } finally {
      await members(groupDn('dept'), 'add', [groupDn('other-team')]);
    }
  });

  it('never serves one connector the graph another connector cached', async () => {
    const first = open({});
    const identity = await loginAs(first.connector, 'gc-1');
    expect(await refreshGroups(first.connector, identity)).toEqual(['dept', 'division', 'team']);
    // Same directory, a group filter that leaves out `division`: its own graph, its own answer.
    const other = open({
      groupSearch: {
        baseDN: GROUPS,
        filter: '(&(objectClass=groupOfNames)(!(cn=division)))',
        userMatchers: [{ userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' }],
        nameAttr: 'cn',
      },
    });
    expect(await refreshGroups(other.connector, identity)).toEqual(['dept', 'team']);
    expect(other.cacheEvents.hit).toBe(0);
    expect(await refreshGroups(first.connector, identity)).toEqual(['dept', 'division', 'team']);
  });

  it('keeps answering right at its size limit, holding no more than the limit', async () => {
    const { connector, cacheEvents } = open({}, { maxEntries: 1 });
    for (const uid of ['gc-1', 'gc-3', 'gc-2', 'gc-1']) {
      const identity = await loginAs(connector, uid);
      const expected =
        uid === 'gc-3' ? ['dept', 'division', 'other-team'] : ['dept', 'division', 'team'];
      expect(await refreshGroups(connector, identity)).toEqual(expected);
      expect(cacheEvents.size).toBeLessThanOrEqual(1);
    }
    expect(cacheEvents.miss).toBeGreaterThan(0);
  });

  it('is off with groupCacheTTL 0: every refresh reads the whole graph', async () => {
    const { connector, searches, cacheEvents } = open({ groupCacheTTL: '0s' });
    const identity = await loginAs(connector, 'gc-1');
    const first = searches();
    await refreshGroups(connector, identity);
    const perRefresh = searches() - first;
    // user, team, dept, division, and the level that finds nothing.
    expect(perRefresh).toBe(5);
    await refreshGroups(connector, identity);
    expect(searches() - first).toBe(2 * perRefresh);
    expect(cacheEvents).toEqual({ hit: 0, miss: 0, size: 0 });
  });
});
