import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import {
  cleanReason,
  clusterClients,
  requestedSeconds,
  resolveRoles,
} from '../../src/security/index.js';

const base: ConfigInput = {
  issuer: 'https://sigil.example.com',
  web: { http: '0.0.0.0:5556', proxy: true },
  enablePasswordDB: true,
  staticPasswords: [{ email: 'a@example.com', hash: '$2b$10$x', username: 'a', userID: '1' }],
  staticClients: [
    { id: 'kubectl', public: true },
    { id: 'prod-aud', public: true, trustedPeers: ['kubectl'] },
  ],
  clusters: [
    {
      name: 'prod',
      server: 'https://api.example.com:6443',
      clientID: 'prod-aud',
      loginClientID: 'kubectl',
    },
  ],
};

const role = {
  name: 'cluster-admin',
  group: 'elevated:cluster-admin',
  eligible: ['developers'],
  approval: { approvers: ['sre'] },
  clusters: ['prod'],
};

function problems(roles: unknown[], extra: Record<string, unknown> = {}): string[] {
  const r = configSchema.safeParse({ ...base, elevation: { roles, ...extra } });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('config: elevation', () => {
  it('is off by default and fills the defaults of a role', () => {
    expect(configSchema.parse(base).elevation).toEqual({
      roles: [],
      pendingTimeout: 3_600_000,
      freshFactor: 300_000,
    });
    const c = configSchema.parse({ ...base, elevation: { roles: [role] } });
    expect(c.elevation.roles[0]).toMatchObject({ maxDuration: 3_600_000, requireMFA: true });
  });

  it('resolves a role: seconds, approvals as data, the clients of its clusters', () => {
    const c = configSchema.parse({
      ...base,
      elevation: { roles: [role, { ...role, name: 'self', approval: 'self', clusters: [] }] },
    });
    const [admin, self] = resolveRoles(c.elevation);
    expect(admin).toMatchObject({
      maxDurationSec: 3600,
      approval: 'approvers',
      approverGroups: ['sre'],
    });
    const clientsOf = clusterClients(c.clusters);
    expect(admin?.clusters.flatMap(clientsOf).sort()).toEqual(['kubectl', 'prod-aud']);
    expect(self).toMatchObject({ approval: 'self', approverGroups: [], clusters: [] });
    expect(clientsOf('staging')).toEqual([]);
  });

  it.each([
    [[role, role], 'elevation.roles.1.name: duplicate role name'],
    [[{ ...role, clusters: ['staging'] }], 'elevation.roles.0.clusters.0: names no clusters entry'],
    [[{ ...role, maxDuration: '25h' }], 'elevation.roles.0.maxDuration: must be more than 0'],
    [[{ ...role, maxDuration: '0s' }], 'elevation.roles.0.maxDuration: must be more than 0'],
    [[{ ...role, maxDuration: 'an hour' }], 'elevation.roles.0.maxDuration: not a duration'],
    [[{ ...role, eligible: [] }], 'elevation.roles.0.eligible'],
    [[{ ...role, approval: { approvers: [] } }], 'elevation.roles.0.approval'],
    [[{ ...role, approval: 'anyone' }], 'elevation.roles.0.approval'],
    [[{ ...role, group: 'a\u0000b' }], 'elevation.roles.0.group'],
    [[{ ...role, name: 'Cluster Admin' }], 'elevation.roles.0.name'],
    [[{ ...role, color: 'red' }], 'elevation.roles.0'],
  ])('refuses %j', (roles, want) => {
    const got = problems(roles);
    expect(
      got.some((p) => p.startsWith(want)),
      got.join('\n'),
    ).toBe(true);
  });

  it('refuses a zero pending timeout', () => {
    expect(problems([role], { pendingTimeout: '0s' })).toContain(
      'elevation.pendingTimeout: must be more than 0',
    );
  });
});

describe('elevation requests: durations and reasons', () => {
  it.each([
    ['30m', 1800],
    ['1h', 3600],
    ['1h30m', undefined],
    ['90s', 90],
    [' 45 ', 45],
    [60, 60],
    ['2h', undefined],
    ['-30m', undefined],
    ['0s', undefined],
    [0, undefined],
    [-5, undefined],
    [0.5, undefined],
    ['1.5s', undefined],
    ['soon', undefined],
    ['', undefined],
    [Number.NaN, undefined],
    [1e308, undefined],
  ] as const)('%j within 1h is %s seconds', (input, want) => {
    expect(requestedSeconds(input, 3600)).toBe(want);
  });

  it.each([
    ['  INC-1 restore  ', 'INC-1 restore'],
    ['line one\nline two\r\n\ttab', 'line one\nline two\r\n\ttab'],
    ['x'.repeat(500), 'x'.repeat(500)],
    ['x'.repeat(501), undefined],
    ['a\u0000b', undefined],
    ['\u001b[31mred', undefined],
    ['del\u007f', undefined],
    [42, undefined],
  ] as const)('reason %j is %j', (input, want) => {
    expect(cleanReason(input)).toBe(want);
  });
});
