import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configAsInput } from '../../../src/config/index.js';
import type { Kubeconfig } from '../../../src/kube/index.js';
import { authenticationConfigurationSchema } from '../../support/authentication-config-schema.js';
import { sigilAsync as sigil } from '../../support/cli.js';
import { runAsync } from '../../support/process.js';
import { buildGoVerifier, verifyWithGo } from '../../support/go-verifier.js';
import { kubeloginTokens } from '../../support/oidc-flow.js';
import { freePort } from '../../support/net.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

const KUBECTL = '/usr/bin/kubectl';

/** Parses `--oidc-x=v` lines (single-quoted or not) into a map. */
function flags(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.trim().split('\n')) {
    const line = raw.replace(/^'(.*)'$/, '$1');
    const m = /^--oidc-([a-z-]+)=(.*)$/.exec(line);
    if (m === null) throw new Error(`not a flag line: ${raw}`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('sigil kube: apiserver-config and kubeconfig against a running sigil, go-oidc and kubectl', () => {
  let s: TestSigil;
  let dir: string;
  let configFile: string;
  let discovery: Record<string, unknown>;
  let apiPort: number;

  beforeAll(async () => {
    await buildGoVerifier();
    dir = mkdtempSync(join(tmpdir(), 'sigil-kube-cli-'));
    apiPort = await freePort();
    s = await startTestSigil('pglite', {
      clusters: [
        { name: 'local', server: `https://localhost:${apiPort}`, clientID: 'kubectl' },
        {
          name: 'lab',
          server: 'https://api.lab.example.com:6443',
          clientID: 'kubectl',
          usernameClaim: 'sub',
          usernamePrefix: '',
        },
      ],
    });
    // The test cluster's "API server" uses sigil's own dev certificate: its CA is the cluster CA.
    const config = structuredClone(configAsInput(s.config)) as Record<string, unknown> & {
      clusters: Record<string, unknown>[];
    };
    config.clusters[0]!['certificateAuthorityData'] = Buffer.from(s.ca).toString('base64');
    configFile = join(dir, 'sigil.yaml');
    writeFileSync(configFile, stringify(config));
    discovery = (await s.client().get('/.well-known/openid-configuration')).json();
  }, 240_000);
  afterAll(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `sigil kube apiserver-config` for `cluster` of this file's config. */
  const apiserverConfig = (cluster: string, ...more: string[]) =>
    sigil(['kube', 'apiserver-config', '--config', configFile, '--cluster', cluster, ...more]);

  it('--format flags: the issuer is the served discovery issuer, and go-oidc accepts a token with exactly these flags', async () => {
    const r = await apiserverConfig('local');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const f = flags(r.stdout);
    expect(f.get('issuer-url')).toBe(discovery['issuer']);
    expect(f.get('issuer-url')).toBe(s.issuer);
    expect(f.get('client-id')).toBe('kubectl');
    expect(f.get('ca-file')).toBe(s.config.web.tlsCA);
    expect(f.get('username-claim')).toBe('email');
    expect(f.get('username-prefix')).toBe('oidc:');
    expect(f.get('groups-prefix')).toBe('oidc:');
    const algs = f.get('signing-algs')!.split(',');
    for (const a of algs) expect(discovery['id_token_signing_alg_values_supported']).toContain(a);

    const tok = await kubeloginTokens(s.client(), ALICE);
    const v = await verifyWithGo(
      f.get('issuer-url')!,
      f.get('ca-file')!,
      f.get('client-id')!,
      tok.id_token,
      {
        signingAlgs: algs,
      },
    );
    expect(v.ok, JSON.stringify(v)).toBe(true);
  });

  it.each(['v1beta1', 'v1'] as const)(
    '--format authentication-config (%s) is a valid AuthenticationConfiguration for the served issuer and CA',
    async (version) => {
      const format = ['--format', 'authentication-config'];
      const r = await apiserverConfig(
        'lab',
        ...(version === 'v1beta1' ? format : [...format, '--api-version', 'v1']),
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const c = authenticationConfigurationSchema.parse(parse(r.stdout));
      expect(c.apiVersion).toBe(`apiserver.config.k8s.io/${version}`);
      const jwt = c.jwt[0]!;
      expect(jwt.issuer.url).toBe(discovery['issuer']);
      expect(jwt.issuer.audiences).toEqual(['kubectl']);
      expect(jwt.issuer.certificateAuthority).toBe(readFileSync(s.config.web.tlsCA!, 'utf8'));
      expect(jwt.claimMappings.username).toEqual({ claim: 'sub', prefix: '' });
      expect(jwt.userValidationRules?.map((x) => x.expression)).toEqual([
        "!user.username.startsWith('system:')",
        "user.groups.all(group, !group.startsWith('system:'))",
      ]);
    },
  );

  it('--format ca prints the CA of sigil’s serving certificate', async () => {
    const r = await apiserverConfig('lab', '--format', 'ca');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(s.config.web.tlsCA!, 'utf8'));
  });

  it.each<[string, string[], RegExp]>([
    [
      'an unknown cluster',
      ['apiserver-config', '--cluster', 'nope'],
      /^sigil: no cluster nope in .* \(clusters: local, lab\) \[CLUSTER_NOT_FOUND\]\n$/,
    ],
    [
      'no --cluster with two clusters',
      ['apiserver-config'],
      /^sigil: .* has 2 clusters \(local, lab\): pick one with --cluster \[CLI_USAGE\]\n$/,
    ],
    ['a bad --format', ['apiserver-config', '--format', 'json'], /argument 'json' is invalid/],
    [
      'a bad --api-version',
      ['apiserver-config', '--api-version', 'v2'],
      /argument 'v2' is invalid/,
    ],
    [
      'kubeconfig without --cluster',
      ['kubeconfig'],
      /required option '--cluster <name>' not specified/,
    ],
    [
      'kubeconfig for an unknown cluster',
      ['kubeconfig', '--cluster', 'x'],
      /^sigil: no cluster x in .*\[CLUSTER_NOT_FOUND\]\n$/,
    ],
  ])('fails in one line for %s', async (_name, args, want) => {
    const r = await sigil(['kube', ...args, '--config', configFile]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(want);
  });

  it('needs a config file', async () => {
    const r = await sigil(['kube', 'kubeconfig', '--cluster', 'x'], { env: { SIGIL_CONFIG: '' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'sigil: sigil kube kubeconfig needs --config (or SIGIL_CONFIG) [CLI_USAGE]\n',
    );
  });

  it('the kubeconfig passes `kubectl config view --minify` with a client.authentication.k8s.io/v1 exec block', async () => {
    const r = await sigil(['kube', 'kubeconfig', '--config', configFile, '--cluster', 'lab']);
    expect(r.status).toBe(0);
    const file = join(dir, 'lab.kubeconfig');
    writeFileSync(file, r.stdout);
    const v = await runAsync(
      KUBECTL,
      ['config', 'view', '--minify', '--kubeconfig', file, '-o', 'json'],
      { env: { PATH: process.env['PATH'], HOME: dir } },
    );
    // The gcloud build of kubectl (a version dispatcher) asks the server for its version
    // first, which runs the exec plugin; kubelogin is not installed here, so it may complain.
    expect(v.stderr).toMatch(/^(Error: unknown command "oidc-login" for "kubectl"\n)*$/);
    expect(v.code).toBe(0);
    const view = JSON.parse(v.stdout) as {
      'current-context': string;
      clusters: { name: string; cluster: { server: string } }[];
      users: { name: string; user: { exec: Record<string, unknown> } }[];
    };
    expect(view['current-context']).toBe('lab');
    expect(view.clusters).toEqual([
      { name: 'lab', cluster: { server: 'https://api.lab.example.com:6443' } },
    ]);
    const exec = view.users[0]!.user.exec;
    expect(exec['apiVersion']).toBe('client.authentication.k8s.io/v1');
    expect(exec['command']).toBe('kubectl');
    expect(exec['interactiveMode']).toBe('IfAvailable');
    expect(exec['provideClusterInfo']).toBe(false);
    expect(exec['args']).toEqual(
      expect.arrayContaining([
        'oidc-login',
        'get-token',
        `--oidc-issuer-url=${s.issuer}`,
        '--oidc-client-id=kubectl',
        '--oidc-extra-scope=email',
        '--oidc-extra-scope=groups',
        '--oidc-extra-scope=offline_access',
      ]),
    );
    // sigil's dev CA is private: kubelogin is told about it.
    const caArg = (exec['args'] as string[]).find((a) =>
      a.startsWith('--certificate-authority-data='),
    )!;
    expect(Buffer.from(caArg.slice(caArg.indexOf('=') + 1), 'base64').toString('utf8')).toBe(s.ca);
  });

  it('kubectl runs the exec plugin as the v1 contract says and sends its id_token to the API server', async () => {
    // A stand-in for kubelogin: records its arguments and environment, prints an
    // ExecCredential holding a real sigil id_token.
    const tok = await kubeloginTokens(s.client(), ALICE, {
      scope: 'openid email groups offline_access',
    });
    const idToken = tok.id_token;
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(dir, 'credential.json'),
      JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        status: { token: idToken },
      }),
    );
    const plugin = join(bin, 'kubectl-oidc_login');
    writeFileSync(
      plugin,
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/plugin-args'\nprintf '%s' "$KUBERNETES_EXEC_INFO" > '${dir}/plugin-exec-info'\ncat '${dir}/credential.json'\n`,
    );
    chmodSync(plugin, 0o755);

    // A stand-in API server on the cluster's address, with sigil's certificate (the cluster CA).
    const seen: string[] = [];
    const api = https.createServer(
      { cert: readFileSync(s.config.web.tlsCert!), key: readFileSync(s.config.web.tlsKey!) },
      (req, res) => {
        seen.push(req.headers.authorization ?? '');
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }),
        );
      },
    );
    await new Promise<void>((resolve) => api.listen(apiPort, '127.0.0.1', resolve));
    try {
      expect((api.address() as AddressInfo).port).toBe(apiPort);
      const kc = await sigil(['kube', 'kubeconfig', '--config', configFile, '--cluster', 'local']);
      expect(kc.status).toBe(0);
      const file = join(dir, 'local.kubeconfig');
      writeFileSync(file, kc.stdout);
      const r = await runAsync(KUBECTL, ['--kubeconfig', file, 'get', '--raw', '/api'], {
        env: { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: dir },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'APIVersions' });
      expect(seen).toContain(`Bearer ${idToken}`);
      const args = readFileSync(join(dir, 'plugin-args'), 'utf8').trim().split('\n');
      const parsed = parse(kc.stdout) as Kubeconfig;
      expect(['oidc-login', ...args]).toEqual(parsed.users[0]!.user.exec.args);
      const info = JSON.parse(readFileSync(join(dir, 'plugin-exec-info'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(info).toMatchObject({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
      });
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
