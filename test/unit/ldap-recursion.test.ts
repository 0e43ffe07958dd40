import { describe, expect, it } from 'vitest';
import { ldapConfigSchema, type LdapConfigInput } from '../../src/config/index.js';
import { resolveLdapSettings } from '../../src/connectors/ldap/settings.js';

const base: LdapConfigInput = {
  host: 'ldap.example.org',
  insecureNoSSL: true,
  bindDN: 'cn=svc,dc=example,dc=org',
  bindPW: 'pw',
  userSearch: { baseDN: 'ou=People,dc=example,dc=org', username: 'uid' },
};

const withGroups = (groupSearch: NonNullable<LdapConfigInput['groupSearch']>) =>
  ldapConfigSchema.safeParse({ ...base, groupSearch });

describe('recursionGroupAttr follows Dex', () => {
  it("accepts Dex's documented nested-groups matcher", () => {
    const r = withGroups({
      baseDN: 'ou=Groups,dc=example,dc=org',
      userMatchers: [{ userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' }],
    });
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(resolveLdapSettings(r.data).matchers).toEqual([
      { userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' },
    ]);
  });

  it.each(['DN', 'dn', 'Dn'])('refuses the old reading %s and explains the change', (value) => {
    const r = withGroups({
      baseDN: 'ou=Groups,dc=example,dc=org',
      userMatchers: [{ userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: value }],
    });
    expect(r.success).toBe(false);
    const issue = r.error?.issues[0];
    expect(issue?.path).toEqual(['groupSearch', 'userMatchers', 0, 'recursionGroupAttr']);
    expect(issue?.message).toMatch(/parent group that lists the child group's DN/);
    expect(issue?.message).toMatch(/recursionGroupAttr: member/);
  });

  it("takes Dex's legacy groupSearch.recursionGroupAttr with userAttr/groupAttr", () => {
    const r = withGroups({
      baseDN: 'ou=Groups,dc=example,dc=org',
      userAttr: 'DN',
      groupAttr: 'member',
      recursionGroupAttr: 'member',
    });
    expect(r.success && resolveLdapSettings(r.data).matchers).toEqual([
      { userAttr: 'DN', groupAttr: 'member', recursionGroupAttr: 'member' },
    ]);
    const old = withGroups({
      baseDN: 'ou=Groups,dc=example,dc=org',
      userAttr: 'DN',
      groupAttr: 'member',
      recursionGroupAttr: 'DN',
    });
    expect(old.success).toBe(false);
  });
});
