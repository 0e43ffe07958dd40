import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoginResult, PasswordConnector } from '../../../src/connectors/connector.js';
import { createLdapConnector } from '../../../src/connectors/ldap/index.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import {
  ALL_SCOPES,
  adminClient,
  captureLog,
  closedPort,
  entryUUID,
  testConfig,
  type CapturedLog,
} from './support.js';

// Login against the real slapd (read-only fixtures from test/fixtures/ldap/base.ldif).
describe('ldap login', () => {
  let connector: PasswordConnector;
  let log: CapturedLog;
  let admin: Client;
  const binds: string[] = [];

  beforeAll(async () => {
    log = captureLog();
    connector = createLdapConnector('ldap', 'LDAP', testConfig(), log, {
      observe: (op, host, _seconds, ok) => {
        if (op === 'bind') binds.push(`${host}:${String(ok)}`);
      },
    });
    admin = await adminClient();
  });
  afterAll(async () => {
    await connector.close?.();
    await admin.unbind();
  });

  type Row = [
    label: string,
    username: string,
    password: string,
    expected: LoginResult['ok'] | string,
  ];
  const table: Row[] = [
    ['valid login', 'alice', 'alice-pw', true],
    ['wrong password', 'alice', 'wrong', 'bad_password'],
    ["another user's password", 'alice', 'bob-pw', 'bad_password'],
    ['unknown user', 'nobody', 'whatever', 'unknown_user'],
    ['empty password', 'alice', '', 'empty_password'],
    ['wildcard username', '*', 'alice-pw', 'unknown_user'],
    ['filter injection *)(uid=*', '*)(uid=*', 'alice-pw', 'unknown_user'],
    ['filter injection admin)(|(uid=*', 'admin)(|(uid=*', 'alice-pw', 'unknown_user'],
    ['NUL byte', 'alice\u0000', 'alice-pw', 'invalid_username'],
    ['10,000-character username', 'a'.repeat(10_000), 'x', 'invalid_username'],
    ['lone surrogate (not UTF-8)', 'alice\uD800', 'alice-pw', 'invalid_username'],
    ['control character', 'ali\u0007ce', 'alice-pw', 'invalid_username'],
    ['blank username', '   ', 'x', 'invalid_username'],
    ['two matching entries', 'dup', 'dup-pw', 'ambiguous_user'],
    ['user without mail', 'carol', 'carol-pw', true],
    ['DN with comma and non-ASCII', 'mueller', 'mueller-pw', true],
    ['ppolicy-locked user, right password', 'locked', 'locked-pw', 'locked'],
    ['ppolicy-locked user, wrong password', 'locked', 'nope', 'locked'],
    ['userAccountControl ACCOUNTDISABLE', 'disabled', 'disabled-pw', 'disabled'],
    ['userAccountControl LOCKOUT', 'adlocked', 'adlocked-pw', 'locked'],
    ['userAccountControl NORMAL_ACCOUNT', 'enabled', 'enabled-pw', true],
  ];

  it.each(table)('%s', async (_label, username, password, expected) => {
    const result = await connector.login(ALL_SCOPES, username, password);
    if (expected === true) expect(result.ok).toBe(true);
    else expect(result).toEqual({ ok: false, reason: expected });
  });

  it('gives a valid login its entryUUID as sub, direct + nested + posix groups and the DN as connectorData', async () => {
    const result = await connector.login(ALL_SCOPES, 'alice', 'alice-pw');
    if (!result.ok) throw new Error(result.reason);
    const dn = `uid=alice,${LDAP_FIXTURES.peopleDN}`;
    expect(result.identity).toEqual({
      userId: await entryUUID(admin, dn),
      username: 'alice',
      preferredUsername: 'alice',
      email: 'alice@example.org',
      emailVerified: true,
      name: 'Alice Liddell',
      groups: ['devs', 'engineering', 'posix-admins', 'staff'],
      connectorData: { dn },
    });
  });

  it('fetches no groups without the groups scope', async () => {
    const result = await connector.login(
      { groups: false, offlineAccess: false },
      'alice',
      'alice-pw',
    );
    expect(result.ok && result.identity.groups).toEqual([]);
  });

  it('derives the email from emailSuffix when the entry has none', async () => {
    const result = await connector.login(ALL_SCOPES, 'carol', 'carol-pw');
    expect(result.ok && result.identity.email).toBe('carol@corp.example.org');
  });

  it('logs in the user whose DN has an escaped comma and umlauts, with its groups', async () => {
    const result = await connector.login(ALL_SCOPES, 'mueller', 'mueller-pw');
    if (!result.ok) throw new Error(result.reason);
    expect(result.identity.name).toBe('Müller, Jörg');
    expect(result.identity.groups).toEqual(['devs', 'engineering', 'staff']);
    expect(String(result.identity.connectorData?.['dn'])).toMatch(
      /^cn=Müller(\\2C|\\,) Jörg,ou=People,dc=example,dc=org$/,
    );
  });

  it('pages through all 150 groups of a user in more groups than the server size limit', async () => {
    const result = await connector.login(ALL_SCOPES, 'pager', 'pager-pw');
    if (!result.ok) throw new Error(result.reason);
    expect(result.identity.groups).toHaveLength(LDAP_FIXTURES.pagingGroups);
    expect(result.identity.groups[0]).toBe('page-001');
    expect(result.identity.groups.at(-1)).toBe('page-150');
  });

  it('ends recursion in a group cycle', async () => {
    const result = await connector.login(ALL_SCOPES, 'cyclist', 'cyclist-pw');
    expect(result.ok && result.identity.groups).toEqual(['cycle-a', 'cycle-b']);
  });

  it('stops recursion at maxDepth', async () => {
    const shallowLog = captureLog();
    const cfg = testConfig();
    const shallow = createLdapConnector(
      'ldap',
      'LDAP',
      { ...cfg, groupSearch: { ...cfg.groupSearch!, maxDepth: 2 } },
      shallowLog,
    );
    try {
      const result = await shallow.login(ALL_SCOPES, 'alice', 'alice-pw');
      expect(result.ok && result.identity.groups).toEqual(['devs', 'engineering', 'posix-admins']);
      expect(shallowLog.lines.some((l) => l.level === 'warn' && l.msg.includes('maxDepth'))).toBe(
        true,
      );
    } finally {
      await shallow.close?.();
    }
  });

  it('matches posixGroup memberUid through a legacy userAttr/groupAttr matcher', async () => {
    const cfg = testConfig();
    const legacy = createLdapConnector(
      'ldap',
      'LDAP',
      {
        ...cfg,
        groupSearch: {
          ...cfg.groupSearch!,
          filter: '(objectClass=posixGroup)',
          userMatchers: undefined,
          userAttr: 'uid',
          groupAttr: 'memberUid',
        },
      },
      captureLog(),
    );
    try {
      const result = await legacy.login(ALL_SCOPES, 'bob', 'bob-pw');
      expect(result.ok && result.identity.groups).toEqual(['posix-admins']);
    } finally {
      await legacy.close?.();
    }
  });

  it('logs a configuration error for an ambiguous username, never the password', async () => {
    await connector.login(ALL_SCOPES, 'dup', 'dup-pw');
    const line = log.lines.find(
      (l) => l.level === 'error' && l.msg.includes('more than one entry'),
    );
    expect(line).toBeDefined();
    expect(JSON.stringify(log.lines)).not.toContain('dup-pw');
  });

  it('spends a bind on an unknown user too (no timing oracle), with a password that is not the typed one', async () => {
    binds.length = 0;
    const result = await connector.login(ALL_SCOPES, 'nobody-at-all', 'typed-secret');
    expect(result).toEqual({ ok: false, reason: 'unknown_user' });
    expect(binds.filter((b) => b.endsWith(':false'))).toHaveLength(1);
  });

  it('rejects an empty password and a bad username without any I/O (connector pointed at a closed port)', async () => {
    const port = await closedPort();
    const dead = createLdapConnector(
      'dead',
      'Dead',
      testConfig({ host: `127.0.0.1:${String(port)}` }),
      captureLog(),
    );
    try {
      await expect(dead.login(ALL_SCOPES, 'alice', '')).resolves.toEqual({
        ok: false,
        reason: 'empty_password',
      });
      await expect(dead.login(ALL_SCOPES, 'a\u0000', 'x')).resolves.toEqual({
        ok: false,
        reason: 'invalid_username',
      });
      await expect(dead.login(ALL_SCOPES, 'alice', 'alice-pw')).rejects.toMatchObject({
        code: 'CONNECTOR_UNAVAILABLE',
      });
    } finally {
      await dead.close?.();
    }
  });
});
