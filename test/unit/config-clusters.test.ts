import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';

const base: ConfigInput = {
  issuer: 'https://sigil.example.com',
  web: { http: '0.0.0.0:5556', proxy: true },
  enablePasswordDB: true,
  staticPasswords: [{ email: 'a@example.com', hash: '$2b$10$x', username: 'a', userID: '1' }],
  staticClients: [
    { id: 'kubernetes', public: true },
    { id: 'app', secret: 's3cret', redirectURIs: ['https://app.example.com/cb'] },
  ],
};

function problems(clusters: unknown[], extra: Partial<ConfigInput> = {}): string[] {
  const r = configSchema.safeParse({ ...base, ...extra, clusters });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** One of the problems starts with `want` (the list is the failure message). */
function expectProblem(got: string[], want: string): void {
  expect(
    got.some((p) => p.startsWith(want)),
    got.join('\n'),
  ).toBe(true);
}

const prod = { name: 'prod', server: 'https://api.example.com:6443', clientID: 'kubernetes' };

describe('config: clusters', () => {
  it('accepts a cluster and fills the claim mapping defaults', () => {
    const c = configSchema.parse({ ...base, clusters: [prod] });
    expect(c.clusters).toEqual([
      {
        ...prod,
        usernameClaim: 'email',
        usernamePrefix: 'oidc:',
        groupsClaim: 'groups',
        groupsPrefix: 'oidc:',
        requireMFA: false,
      },
    ]);
    expect(configSchema.parse(base).clusters).toEqual([]);
  });

  it.each<[string, unknown[], Partial<ConfigInput>, string]>([
    [
      'clientID naming no client',
      [{ ...prod, clientID: 'nope' }],
      {},
      'clusters.0.clientID: names no staticClients id',
    ],
    [
      'clientID naming a confidential client',
      [{ ...prod, clientID: 'app' }],
      {},
      'clusters.0.clientID: names a confidential client',
    ],
    ['duplicate names', [prod, { ...prod }], {}, 'clusters.1.name: duplicate cluster name'],
    [
      'a sync secret shared by two clusters',
      [
        { ...prod, syncSecret: 'x'.repeat(40) },
        { ...prod, name: 'staging', syncSecret: 'x'.repeat(40) },
      ],
      {},
      "clusters.1.syncSecret: is also cluster prod's",
    ],
    [
      'a short sync secret',
      [{ ...prod, syncSecret: 'short' }],
      {},
      'clusters.0.syncSecret: at least 32 characters',
    ],
    [
      'an http server',
      [{ ...prod, server: 'http://api:6443' }],
      {},
      'clusters.0.server: must be an https URL',
    ],
    ['a name with capitals', [{ ...prod, name: 'Prod' }], {}, 'clusters.0.name: lower-case'],
    [
      'CA data that is not base64 PEM',
      [{ ...prod, certificateAuthorityData: 'bm90IGEgY2VydA==' }],
      {},
      'clusters.0.certificateAuthorityData: expected base64',
    ],
    [
      'a prefix with a space',
      [{ ...prod, usernamePrefix: 'a b' }],
      {},
      'clusters.0.usernamePrefix: no whitespace',
    ],
    [
      'a claim name with a quote',
      [{ ...prod, groupsClaim: "g'" }],
      {},
      'clusters.0.groupsClaim: a claim name',
    ],
    ['an unknown key', [{ ...prod, audience: 'x' }], {}, 'clusters.0'],
    [
      'a static client named sigil-web',
      [],
      { staticClients: [...(base.staticClients ?? []), { id: 'sigil-web', public: true }] },
      "staticClients.2.id: sigil-web is reserved for sigil's own web pages",
    ],
  ])('refuses %s', (_name, clusters, extra, want) => {
    expectProblem(problems(clusters, extra), want);
  });

  describe('a shared login client (loginClientID) with a cluster audience (trustedPeers)', () => {
    const clients = (prodTrusts: string[]): Partial<ConfigInput> => ({
      staticClients: [
        { id: 'kubectl', public: true },
        { id: 'prod-aud', public: true, trustedPeers: prodTrusts },
        { id: 'app', secret: 's3cret', redirectURIs: ['https://app.example.com/cb'] },
      ],
    });
    const shared = { ...prod, clientID: 'prod-aud', loginClientID: 'kubectl' };

    it('accepts it when the audience client trusts the login client', () => {
      expect(problems([shared], clients(['kubectl']))).toEqual([]);
    });

    it.each<[string, unknown[], Partial<ConfigInput>, string]>([
      [
        'an audience that does not trust the login client',
        [shared],
        clients([]),
        'clusters.0.loginClientID: client prod-aud does not list kubectl in trustedPeers',
      ],
      [
        'a login client that is no client',
        [{ ...shared, loginClientID: 'nope' }],
        clients(['kubectl']),
        'clusters.0.loginClientID: names no staticClients id',
      ],
      [
        'a confidential login client',
        [{ ...shared, loginClientID: 'app' }],
        clients(['app']),
        'clusters.0.loginClientID: names a confidential client',
      ],
      [
        "a cluster whose audience is another cluster's login client",
        [shared, { ...prod, name: 'lab', clientID: 'kubectl' }],
        clients(['kubectl']),
        'clusters.1.clientID: is the login client of cluster prod',
      ],
      [
        'trustedPeers naming no client',
        [],
        clients(['kubectl', 'ghost']),
        'staticClients.1.trustedPeers.1: names no staticClients id',
      ],
    ])('refuses %s', (_name, clusters, extra, want) => {
      expectProblem(problems(clusters, extra), want);
    });
  });

  it('accepts base64 PEM CA data', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(
      problems([{ ...prod, certificateAuthorityData: Buffer.from(pem).toString('base64') }]),
    ).toEqual([]);
  });
});
