import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa } from '../../support/openssl.js';
import { runLdapCheck } from '../../../src/connectors/ldap/index.js';
import type { LdapConfig } from '../../../src/config/index.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import { closedPort, testConfig } from './support.js';

// `sigil ldap check`: what it prints, and the one-line errors it throws.
async function check(
  cfg: LdapConfig,
  opts: { username?: string; password?: string } = {},
): Promise<string[]> {
  const lines: string[] = [];
  await runLdapCheck(cfg, opts, (line) => lines.push(line));
  return lines;
}

describe('runLdapCheck', () => {
  let dir: string;
  let otherCa: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sigil-ldap-check-'));
    otherCa = makeCa(dir, { subject: 'not the LDAP CA', days: 1, name: 'other-ca' }).ca;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the bind, base DNs and what the id_token would carry, without the password', async () => {
    const lines = await check(testConfig(), { username: 'alice', password: 'alice-pw' });
    const text = lines.join('\n');
    expect(text).toContain(`bind: ok (${LDAP_FIXTURES.serviceDN})`);
    expect(text).toContain(`userSearch.baseDN: ok (${LDAP_FIXTURES.peopleDN})`);
    expect(text).toContain(`groupSearch.baseDN: ok (${LDAP_FIXTURES.groupsDN})`);
    expect(text).toContain(`user: uid=alice,${LDAP_FIXTURES.peopleDN}`);
    expect(text).toContain('login: ok');
    expect(text).toMatch(/sub: [0-9a-f-]{36}/);
    expect(text).toContain('groups: ["devs","engineering","posix-admins","staff"]');
    expect(text).not.toContain('alice-pw');
  });

  it('prints the claims without a password, and a refused login as a finding', async () => {
    expect((await check(testConfig(), { username: 'bob' })).join('\n')).toContain(
      'groups: ["ops","posix-admins"]',
    );
    expect(await check(testConfig(), { username: 'bob', password: 'wrong' })).toContain(
      'login: refused (bad_password)',
    );
    expect(await check(testConfig(), { username: 'nobody' })).toContain('user: no entry matches');
    expect((await check(testConfig(), { username: 'dup' })).join('\n')).toContain(
      'more than one entry matches',
    );
  });

  const cases: [string, () => Promise<LdapConfig>, string, RegExp][] = [
    [
      'no CA configured (system trust)',
      () => Promise.resolve(testConfig({ rootCA: undefined })),
      'CONNECTOR_UNAVAILABLE',
      /TLS/,
    ],
    [
      'wrong bind password',
      () => Promise.resolve(testConfig({ bindPW: 'nope' })),
      'CONNECTOR_MISCONFIGURED',
      /bind as cn=sigil-svc.*refused.*Invalid credentials/i,
    ],
    [
      'wrong bind DN',
      () => Promise.resolve(testConfig({ bindDN: `cn=nobody,${LDAP_FIXTURES.baseDN}` })),
      'CONNECTOR_MISCONFIGURED',
      /bind as cn=nobody/,
    ],
    [
      'unparsable user filter',
      // Past the schema (which refuses it too): the check reports it when handed a config.
      () => {
        const cfg = testConfig();
        return Promise.resolve({
          ...cfg,
          userSearch: { ...cfg.userSearch, filter: '(&(objectClass=person)' },
        });
      },
      'CONFIG_INVALID',
      /userSearch\.filter: cannot parse/,
    ],
    [
      'missing user base DN',
      () =>
        Promise.resolve(
          testConfig({
            userSearch: { baseDN: `ou=Nowhere,${LDAP_FIXTURES.baseDN}`, username: 'uid' },
          }),
        ),
      'CONNECTOR_MISCONFIGURED',
      /base DN does not exist: ou=Nowhere/,
    ],
    [
      'directory down',
      async () => testConfig({ host: `127.0.0.1:${String(await closedPort())}` }),
      'CONNECTOR_UNAVAILABLE',
      /unreachable/,
    ],
  ];

  it.each(cases)('throws a one-line error for %s', async (_label, cfg, code, message) => {
    const config = await cfg();
    const err: unknown = await check(config).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('names the wrong CA case precisely', async () => {
    await expect(check(testConfig({ rootCA: otherCa }))).rejects.toMatchObject({
      code: 'CONNECTOR_UNAVAILABLE',
      message: expect.stringMatching(
        /^LDAP TLS connection failed: 127\.0\.0\.1:\d+ \(TLS: /,
      ) as unknown,
    });
  });
});
