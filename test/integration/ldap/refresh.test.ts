import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity, PasswordConnector } from '../../../src/connectors/connector.js';
import { createLdapConnector } from '../../../src/connectors/ldap/index.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import {
  ALL_SCOPES,
  adminClient,
  captureLog,
  closedPort,
  deleteTree,
  entryUUID,
  testConfig,
  type CapturedLog,
} from './support.js';

// Refresh re-reads the directory. Everything this file changes lives under ou=TestRefresh.
const PEOPLE = `ou=TestRefresh,${LDAP_FIXTURES.peopleDN}`;
const GROUPS = `ou=TestRefresh,${LDAP_FIXTURES.groupsDN}`;
const userDn = (uid: string) => `uid=${uid},${PEOPLE}`;
const TEAM = `cn=refresh-team,${GROUPS}`;

describe('ldap refresh', () => {
  let admin: Client;
  let connector: PasswordConnector;
  let log: CapturedLog;

  async function addUser(uid: string, extra: Record<string, string[]> = {}): Promise<void> {
    await admin.add(userDn(uid), {
      objectClass: ['inetOrgPerson', 'sigilTestADAccount'],
      uid,
      cn: `Refresh ${uid}`,
      sn: uid,
      mail: `${uid}@example.org`,
      userPassword: `${uid}-pw`,
      userAccountControl: '512',
      ...extra,
    });
  }

  async function loginAs(uid: string): Promise<Identity> {
    const result = await connector.login(ALL_SCOPES, uid, `${uid}-pw`);
    if (!result.ok) throw new Error(`login ${uid}: ${result.reason}`);
    return result.identity;
  }

  const replace = (dn: string, type: string, values: string[]) =>
    admin.modify(
      dn,
      new Change({ operation: 'replace', modification: new Attribute({ type, values }) }),
    );

  beforeAll(async () => {
    admin = await adminClient();
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.add(PEOPLE, { objectClass: 'organizationalUnit', ou: 'TestRefresh' });
    await admin.add(GROUPS, { objectClass: 'organizationalUnit', ou: 'TestRefresh' });
    for (const uid of [
      'r-groups',
      'r-delete',
      'r-disable',
      'r-lock',
      'r-rename',
      'r-moved',
      'r-down',
      'r-same',
    ])
      await addUser(uid);
    await admin.add(TEAM, {
      objectClass: 'groupOfNames',
      cn: 'refresh-team',
      member: [userDn('r-same')],
    });
    log = captureLog();
    connector = createLdapConnector(
      'ldap',
      'LDAP',
      testConfig({
        userSearch: {
          baseDN: LDAP_FIXTURES.peopleDN,
          filter: '(&(objectClass=inetOrgPerson)(!(employeeType=departed)))',
          username: 'uid',
        },
      }),
      log,
    );
  });
  afterAll(async () => {
    await connector.close?.();
    await deleteTree(admin, PEOPLE);
    await deleteTree(admin, GROUPS);
    await admin.unbind();
  });

  it('returns the same identity when nothing changed', async () => {
    const identity = await loginAs('r-same');
    expect(identity.groups).toEqual(['refresh-team']);
    await expect(connector.refresh(ALL_SCOPES, identity)).resolves.toEqual({ ok: true, identity });
  });

  it('shows group changes made in the directory', async () => {
    const identity = await loginAs('r-groups');
    expect(identity.groups).toEqual([]);
    await admin.modify(
      TEAM,
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'member', values: [userDn('r-groups')] }),
      }),
    );
    const refreshed = await connector.refresh(ALL_SCOPES, identity);
    expect(refreshed.ok && refreshed.identity.groups).toEqual(['refresh-team']);
    await admin.modify(
      TEAM,
      new Change({
        operation: 'delete',
        modification: new Attribute({ type: 'member', values: [userDn('r-groups')] }),
      }),
    );
    const again = await connector.refresh(ALL_SCOPES, identity);
    expect(again.ok && again.identity.groups).toEqual([]);
  });

  it('refuses a deleted user', async () => {
    const identity = await loginAs('r-delete');
    await admin.del(userDn('r-delete'));
    await expect(connector.refresh(ALL_SCOPES, identity)).resolves.toEqual({
      ok: false,
      reason: 'deleted',
    });
  });

  it('refuses a user disabled through userAccountControl', async () => {
    const identity = await loginAs('r-disable');
    await replace(userDn('r-disable'), 'userAccountControl', ['514']);
    await expect(connector.refresh(ALL_SCOPES, identity)).resolves.toEqual({
      ok: false,
      reason: 'disabled',
    });
  });

  it('refuses a user locked through ppolicy', async () => {
    const identity = await loginAs('r-lock');
    await replace(userDn('r-lock'), 'pwdAccountLockedTime', ['000001010000Z']);
    await expect(connector.refresh(ALL_SCOPES, identity)).resolves.toEqual({
      ok: false,
      reason: 'locked',
    });
  });

  it('refuses a user who no longer matches userSearch.filter (moved)', async () => {
    const identity = await loginAs('r-moved');
    await replace(userDn('r-moved'), 'employeeType', ['departed']);
    await expect(connector.refresh(ALL_SCOPES, identity)).resolves.toEqual({
      ok: false,
      reason: 'moved',
    });
  });

  it('follows a renamed entry by its entryUUID and keeps the new DN', async () => {
    const identity = await loginAs('r-rename');
    const uuid = await entryUUID(admin, userDn('r-rename'));
    expect(identity.userId).toBe(uuid);
    await admin.modifyDN(userDn('r-rename'), `uid=r-renamed,${PEOPLE}`);
    const refreshed = await connector.refresh(ALL_SCOPES, identity);
    if (!refreshed.ok) throw new Error(refreshed.reason);
    expect(refreshed.identity.userId).toBe(uuid);
    expect(refreshed.identity.username).toBe('r-renamed');
    expect(refreshed.identity.connectorData).toEqual({ dn: `uid=r-renamed,${PEOPLE}` });
    expect(log.lines.some((l) => l.msg.includes('renamed'))).toBe(true);
  });

  it('throws CONNECTOR_UNAVAILABLE when the directory is down at refresh', async () => {
    const identity = await loginAs('r-down');
    const down = createLdapConnector(
      'ldap',
      'LDAP',
      testConfig({ host: `127.0.0.1:${String(await closedPort())}` }),
      captureLog(),
    );
    try {
      await expect(down.refresh(ALL_SCOPES, identity)).rejects.toMatchObject({
        code: 'CONNECTOR_UNAVAILABLE',
      });
    } finally {
      await down.close?.();
    }
  });
});
