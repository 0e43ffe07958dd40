import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PasswordConnector } from '../../../src/connectors/connector.js';
import { createLdapConnector } from '../../../src/connectors/ldap/index.js';
import { ALL_SCOPES, captureLog, testConfig } from './support.js';

/**
 * `subjectFormat: dex`: the LDAP connector answers with the `sub` Dex issued for the same
 * person and connector id, at login and at refresh; the stable id stays what refresh searches.
 */
describe('ldap subjectFormat', () => {
  let dex: PasswordConnector;
  let plain: PasswordConnector;
  const base = testConfig().userSearch;

  beforeAll(() => {
    dex = createLdapConnector(
      'ldap',
      'LDAP',
      testConfig({ subjectFormat: 'dex', userSearch: { ...base, idAttr: 'uid' } }),
      captureLog(),
    );
    plain = createLdapConnector(
      'ldap',
      'LDAP',
      testConfig({ userSearch: { ...base, idAttr: 'uid' } }),
      captureLog(),
    );
  });
  afterAll(async () => {
    await dex.close?.();
    await plain.close?.();
  });

  it('dex: the sub Dex issues for uid alice of connector ldap; sigil: none (userId is the sub)', async () => {
    // 0a 05 "alice" 12 04 "ldap", base64url without padding: computed by hand.
    const want = Buffer.from([
      0x0a,
      5,
      ...Buffer.from('alice'),
      0x12,
      4,
      ...Buffer.from('ldap'),
    ]).toString('base64url');
    expect(want).toBe('CgVhbGljZRIEbGRhcA');
    const login = await dex.login(ALL_SCOPES, 'alice', 'alice-pw');
    expect(login.ok && login.identity).toMatchObject({ userId: 'alice', subject: want });
    if (!login.ok) return;
    const refreshed = await dex.refresh(ALL_SCOPES, login.identity);
    expect(refreshed.ok && refreshed.identity.subject).toBe(want);
    const other = await plain.login(ALL_SCOPES, 'alice', 'alice-pw');
    expect(other.ok && other.identity.subject).toBeUndefined();
    expect(other.ok && other.identity.userId).toBe('alice');
  });
});
