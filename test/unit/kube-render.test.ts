import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterSchema, type ClusterConfig } from '../../src/config/schema/clusters.js';
import {
  buildAuthenticationConfiguration,
  buildKubeconfig,
  kubeconfigFileName,
  renderApiServerFlags,
  renderAuthenticationConfiguration,
  renderKubeconfig,
} from '../../src/kube/index.js';
import { generateCa } from '../../src/tls/cert-generator.js';
import { authenticationConfigurationSchema } from '../support/authentication-config-schema.js';

const ISSUER = 'https://sigil.example.com';
const CA_PEM = (await generateCa('Test CA', new Date())).certPem;

function cluster(extra: Partial<ClusterConfig> = {}): ClusterConfig {
  return clusterSchema.parse({
    name: 'prod',
    server: 'https://api.prod.example.com:6443',
    clientID: 'kubernetes',
    ...extra,
  });
}

describe('renderApiServerFlags', () => {
  it('prints one --oidc flag per line with explicit prefixes, the CA file and RS256', () => {
    const out = renderApiServerFlags({
      issuer: ISSUER,
      cluster: cluster(),
      caFile: '/etc/kubernetes/pki/sigil-ca.crt',
      signingAlgs: ['RS256'],
    });
    expect(out.split('\n')).toEqual([
      '--oidc-issuer-url=https://sigil.example.com',
      '--oidc-client-id=kubernetes',
      '--oidc-username-claim=email',
      "'--oidc-username-prefix=oidc:'",
      '--oidc-groups-claim=groups',
      "'--oidc-groups-prefix=oidc:'",
      '--oidc-ca-file=/etc/kubernetes/pki/sigil-ca.crt',
      '--oidc-signing-algs=RS256',
      '',
    ]);
  });

  it('quotes exactly the lines a YAML list item would misread, and they parse back unchanged', () => {
    const out = renderApiServerFlags({
      issuer: ISSUER,
      cluster: cluster({ usernamePrefix: 'corp#', groupsPrefix: 'ldap:' }),
      signingAlgs: ['RS256', 'ES256'],
    });
    const lines = out.trim().split('\n');
    const asYaml = parse(lines.map((l) => `- ${l}`).join('\n')) as unknown[];
    expect(asYaml).toEqual([
      '--oidc-issuer-url=https://sigil.example.com',
      '--oidc-client-id=kubernetes',
      '--oidc-username-claim=email',
      '--oidc-username-prefix=corp#',
      '--oidc-groups-claim=groups',
      '--oidc-groups-prefix=ldap:',
      '--oidc-signing-algs=RS256,ES256',
    ]);
    expect(out).not.toContain('--oidc-ca-file');
  });

  it('writes an empty username prefix as "-" and leaves out an empty groups prefix', () => {
    const out = renderApiServerFlags({
      issuer: ISSUER,
      cluster: cluster({ usernamePrefix: '', groupsPrefix: '', usernameClaim: 'sub' }),
      signingAlgs: ['RS256'],
    });
    expect(out).toContain('--oidc-username-prefix=-\n');
    expect(out).toContain('--oidc-username-claim=sub\n');
    expect(out).not.toContain('groups-prefix');
  });

  it('uses the issuer string exactly (no added slash)', () => {
    const out = renderApiServerFlags({
      issuer: 'https://localhost:5556',
      cluster: cluster(),
      signingAlgs: ['RS256'],
    });
    expect(out.split('\n')[0]).toBe('--oidc-issuer-url=https://localhost:5556');
  });
});

describe('AuthenticationConfiguration', () => {
  it('is a valid v1beta1 AuthenticationConfiguration by default', () => {
    const c = buildAuthenticationConfiguration({
      issuer: ISSUER,
      cluster: cluster(),
      caPem: CA_PEM,
    });
    expect(authenticationConfigurationSchema.parse(c).apiVersion).toBe(
      'apiserver.config.k8s.io/v1beta1',
    );
    expect(c).toEqual({
      apiVersion: 'apiserver.config.k8s.io/v1beta1',
      kind: 'AuthenticationConfiguration',
      jwt: [
        {
          issuer: { url: ISSUER, certificateAuthority: CA_PEM, audiences: ['kubernetes'] },
          claimValidationRules: [
            {
              expression: 'claims.?email_verified.orValue(true) == true',
              message: 'the email address is not verified',
            },
          ],
          claimMappings: {
            username: { claim: 'email', prefix: 'oidc:' },
            groups: { claim: 'groups', prefix: 'oidc:' },
            uid: { claim: 'sub' },
          },
          userValidationRules: [
            {
              expression: "!user.username.startsWith('system:')",
              message: "username cannot use the reserved 'system:' prefix",
            },
            {
              expression: "user.groups.all(group, !group.startsWith('system:'))",
              message: "groups cannot use the reserved 'system:' prefix",
            },
          ],
        },
      ],
    });
  });

  it('renders v1 on request; the YAML parses back to the same object and passes the schema', () => {
    const input = {
      issuer: ISSUER,
      cluster: cluster({ usernameClaim: 'sub', usernamePrefix: '', groupsPrefix: '' }),
      apiVersion: 'v1' as const,
    };
    const yaml = renderAuthenticationConfiguration(input);
    const parsed = parse(yaml) as unknown;
    expect(parsed).toEqual(buildAuthenticationConfiguration(input));
    const c = authenticationConfigurationSchema.parse(parsed);
    expect(c.apiVersion).toBe('apiserver.config.k8s.io/v1');
    const jwt = c.jwt[0]!;
    expect(jwt.issuer).toEqual({ url: ISSUER, audiences: ['kubernetes'] });
    // Explicit empty prefixes: the structured config has no defaults for them.
    expect(jwt.claimMappings.username).toEqual({ claim: 'sub', prefix: '' });
    expect(jwt.claimMappings.groups).toEqual({ claim: 'groups', prefix: '' });
    expect(jwt.claimValidationRules).toBeUndefined();
  });

  it('keeps the CA as a PEM block in the YAML', () => {
    const yaml = renderAuthenticationConfiguration({
      issuer: ISSUER,
      cluster: cluster(),
      caPem: CA_PEM,
    });
    expect(yaml).toMatch(/certificateAuthority: \|\n\s+-----BEGIN CERTIFICATE-----/);
  });

  it('the test schema itself refuses what kube-apiserver refuses', () => {
    const good = buildAuthenticationConfiguration({ issuer: ISSUER, cluster: cluster() });
    type Mutable = {
      apiVersion: string;
      jwt: {
        issuer: Record<string, unknown>;
        claimMappings: { username: Record<string, unknown> };
      }[];
    };
    const bad = (mutate: (c: Mutable, jwt: Mutable['jwt'][number]) => void) => {
      const c = structuredClone(good) as unknown as Mutable;
      mutate(c, c.jwt[0]!);
      return authenticationConfigurationSchema.safeParse(c).success;
    };
    expect(authenticationConfigurationSchema.safeParse(good).success).toBe(true);
    expect(bad((_c, j) => (j.issuer['audience'] = ['x']))).toBe(false);
    expect(bad((_c, j) => delete j.claimMappings.username['prefix'])).toBe(false);
    expect(bad((_c, j) => (j.issuer['url'] = 'http://sigil.example.com'))).toBe(false);
    expect(bad((_c, j) => (j.issuer['audiences'] = ['a', 'b']))).toBe(false);
    expect(bad((_c, j) => (j.issuer['certificateAuthority'] = 'not pem'))).toBe(false);
    expect(bad((c) => (c.apiVersion = 'apiserver.k8s.io/v1beta1'))).toBe(false);
  });
});

describe('kubeconfig', () => {
  it('has cluster, user, context and current-context, with the kubelogin exec plugin', () => {
    const kc = buildKubeconfig({ issuer: ISSUER, cluster: cluster() });
    expect(kc).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'prod', cluster: { server: 'https://api.prod.example.com:6443' } }],
      users: [
        {
          name: 'oidc-prod',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: 'kubectl',
              args: [
                'oidc-login',
                'get-token',
                '--oidc-issuer-url=https://sigil.example.com',
                '--oidc-client-id=kubernetes',
                '--oidc-extra-scope=email',
                '--oidc-extra-scope=groups',
                '--oidc-extra-scope=offline_access',
              ],
              interactiveMode: 'IfAvailable',
              provideClusterInfo: false,
            },
          },
        },
      ],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'oidc-prod' } }],
      'current-context': 'prod',
      preferences: {},
    });
  });

  it("passes sigil's CA to kubelogin as base64 and the cluster's CA as certificate-authority-data", () => {
    const clusterCa = Buffer.from(CA_PEM).toString('base64');
    const yaml = renderKubeconfig({
      issuer: ISSUER,
      cluster: cluster({
        certificateAuthorityData: `${clusterCa.slice(0, 10)}\n${clusterCa.slice(10)}`,
      }),
      issuerCaPem: CA_PEM,
    });
    const kc = parse(yaml) as ReturnType<typeof buildKubeconfig>;
    expect(kc.clusters[0]!.cluster['certificate-authority-data']).toBe(clusterCa);
    const args = kc.users[0]!.user.exec.args;
    const caArg = args.find((a) => a.startsWith('--certificate-authority-data='));
    expect(Buffer.from(caArg!.split('=', 2)[1]!, 'base64').toString('utf8')).toBe(CA_PEM);
  });

  it('with a shared login client: logs in with it and asks for the cluster audience; the API server config keeps the audience', () => {
    const c = cluster({ clientID: 'prod-aud', loginClientID: 'kubectl' });
    const args = buildKubeconfig({ issuer: ISSUER, cluster: c }).users[0]!.user.exec.args;
    expect(args.filter((a) => a.startsWith('--oidc-client-id='))).toEqual([
      '--oidc-client-id=kubectl',
    ]);
    expect(args.filter((a) => a.startsWith('--oidc-extra-scope='))).toEqual([
      '--oidc-extra-scope=email',
      '--oidc-extra-scope=groups',
      '--oidc-extra-scope=offline_access',
      '--oidc-extra-scope=audience:server:client_id:prod-aud',
    ]);
    const flags = renderApiServerFlags({
      issuer: ISSUER,
      cluster: c,
      caFile: '/etc/kubernetes/pki/sigil-ca.crt',
      signingAlgs: ['RS256'],
    });
    expect(flags.split('\n')).toContain('--oidc-client-id=prod-aud');
  });

  it('offers a file name from the cluster name', () => {
    expect(kubeconfigFileName(cluster({ name: 'dev-eu.1' }))).toBe('kubeconfig-dev-eu.1.yaml');
  });
});
