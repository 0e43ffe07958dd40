import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { createAccessPolicy } from '../../src/security/index.js';
import { compileGroupPattern, isValidGroupPattern } from '../../src/lib/index.js';

function config(
  clients: NonNullable<ConfigInput['staticClients']>,
  access?: ConfigInput['access'],
) {
  return configSchema.parse({
    issuer: 'https://sigil.example.com',
    web: { https: '127.0.0.1:5554', tlsCert: 'c', tlsKey: 'k' },
    enablePasswordDB: true,
    staticPasswords: [
      { email: 'a@example.com', hash: '$2b$10$' + 'a'.repeat(53), username: 'a', userID: 'a' },
    ],
    staticClients: clients,
    ...(access === undefined ? {} : { access }),
  });
}

describe('group patterns', () => {
  it.each([
    ['team-*', 'team-a', true],
    ['team-*', 'xteam-a', false],
    ['team-?', 'team-ab', false],
    ['a.b', 'axb', false],
    ['/^k8s-(dev|ops)$/', 'k8s-ops', true],
    ['/^k8s-(dev|ops)$/', 'k8s-opsx', false],
    ['/admin/', 'cluster-admins', true],
    ['cn=x,ou=y', 'cn=x,ou=y', true],
  ])('%s matches %s: %s', (pattern, group, expected) => {
    expect(compileGroupPattern(pattern)(group)).toBe(expected);
  });

  it('rejects a broken regular expression in the config', () => {
    expect(isValidGroupPattern('/(unclosed/')).toBe(false);
    expect(() =>
      config([{ id: 'k', public: true, groupFilter: { include: ['/(unclosed/'] } }]),
    ).toThrow(/not a valid pattern/);
  });
});

describe('client access policy', () => {
  const policy = createAccessPolicy(
    config([
      { id: 'open', public: true },
      {
        id: 'prod',
        public: true,
        name: 'Prod',
        allowedGroups: ['ops'],
        groupFilter: { include: ['ops', 'k8s-*'], exclude: ['k8s-legacy'], prefix: 'oidc:' },
        maxGroups: 2,
      },
    ]),
  );

  it('drops reserved groups for every client, known or not', () => {
    expect(policy.groupsClaim('open', ['system:masters', 'a'])).toEqual(['a']);
    expect(policy.groupsClaim(undefined, ['system:nodes', 'b'])).toEqual(['b']);
    expect(policy.dropReserved(['x', 'system:y'])).toEqual({ kept: ['x'], dropped: ['system:y'] });
    expect(policy.isReserved('system:admin')).toBe(true);
    expect(policy.isReserved('systemadmin')).toBe(false);
  });

  it('filters, prefixes and caps per client', () => {
    expect(policy.decide('prod', ['ops', 'k8s-a', 'k8s-legacy', 'dev'])).toEqual({
      allowed: true,
      groups: ['oidc:ops', 'oidc:k8s-a'],
    });
    expect(policy.decide('prod', ['ops', 'k8s-a', 'k8s-b'])).toMatchObject({
      allowed: false,
      reason: 'too_many_groups',
    });
  });

  it('requires an allowed group, compared before the filter and never a reserved one', () => {
    expect(policy.decide('prod', ['dev'])).toMatchObject({
      allowed: false,
      reason: 'not_in_allowed_groups',
    });
    expect(policy.needsGroups('prod')).toBe(true);
    expect(policy.needsGroups('open')).toBe(false);
    const sys = createAccessPolicy(
      config([{ id: 'p', public: true, allowedGroups: ['system:masters'] }]),
    );
    expect(sys.decide('p', ['system:masters'])).toMatchObject({ allowed: false });
  });

  it('applies the global cap and a custom reserved list', () => {
    const p = createAccessPolicy(
      config([{ id: 'x', public: true }], { reservedPrefixes: ['system:', 'oidc:'], maxGroups: 1 }),
    );
    expect(p.decide('x', ['a', 'oidc:b'])).toEqual({ allowed: true, groups: ['a'] });
    expect(p.decide('x', ['a', 'b'])).toMatchObject({ allowed: false, reason: 'too_many_groups' });
  });
});
