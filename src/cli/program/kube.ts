import { Option, type Command } from 'commander';
import type { AuthenticationConfigVersion } from '../../kube/index.js';
import type { CommandResult, Done } from '../result.js';

/** `sigil kube …`: cluster wiring generated from the config's `clusters`. */
export interface KubeCliHandlers {
  kubeApiserverConfig(opts: ApiServerConfigOptions): Promise<CommandResult>;
  kubeKubeconfig(opts: { config?: string | undefined; cluster: string }): Promise<CommandResult>;
  kubeSync(opts: KubeSyncOptions): Promise<CommandResult>;
}

export interface KubeSyncOptions {
  cluster: string;
  server: string;
  secretFile: string;
  out: string;
  ca?: string | undefined;
  interval: string;
  once: boolean;
  metrics?: string | undefined;
}

export const API_SERVER_FORMATS = ['flags', 'authentication-config', 'ca'] as const;
export type ApiServerFormat = (typeof API_SERVER_FORMATS)[number];

export interface ApiServerConfigOptions {
  config?: string | undefined;
  cluster?: string | undefined;
  format: ApiServerFormat;
  apiVersion: AuthenticationConfigVersion;
  caFile?: string | undefined;
}

/** Where `--oidc-ca-file` points when web.tlsCA is not set: kubeadm's PKI directory. */
export const DEFAULT_CA_PATH = '/etc/kubernetes/pki/sigil-ca.crt';

export function addKubeCommands(
  program: Command,
  h: KubeCliHandlers,
  configOption: readonly [string, string],
  done: Done,
): void {
  const kube = program.command('kube').description('Kubernetes wiring for the configured clusters');
  kube
    .command('apiserver-config')
    .description(
      "print kube-apiserver's OIDC wiring for a cluster: --oidc-* flags, an AuthenticationConfiguration, or the CA",
    )
    .option(...configOption)
    .option('--cluster <name>', 'cluster name (default: the only cluster)')
    .addOption(
      new Option('--format <format>', 'flags | authentication-config | ca')
        .choices(API_SERVER_FORMATS)
        .default('flags'),
    )
    .addOption(
      new Option(
        '--api-version <version>',
        'AuthenticationConfiguration version: v1beta1 (1.30+) or v1 (1.34+)',
      )
        .choices(['v1beta1', 'v1'])
        .default('v1beta1'),
    )
    .option(
      '--ca-file <path>',
      `the file kube-apiserver reads sigil's CA from (default: web.tlsCA, else ${DEFAULT_CA_PATH})`,
    )
    .action((o: ApiServerConfigOptions) => done(h.kubeApiserverConfig(o)));
  kube
    .command('kubeconfig')
    .description(
      'print a kubeconfig for a cluster that logs in with kubelogin (kubectl oidc-login)',
    )
    .option(...configOption)
    .requiredOption('--cluster <name>', 'cluster name')
    .action((o: { config?: string; cluster: string }) => done(h.kubeKubeconfig(o)));
  kube
    .command('sync')
    .description(
      "keep kube-apiserver's --authentication-config file equal to what sigil serves for the cluster (deny rules for revoked logins included)",
    )
    .requiredOption('--cluster <name>', "the cluster name in sigil's config")
    .requiredOption('--server <url>', "sigil's https URL (its issuer)")
    .requiredOption('--secret-file <file>', "the file holding the cluster's clusters[].syncSecret")
    .requiredOption('--out <file>', 'the file kube-apiserver reads (--authentication-config)')
    .option('--ca <file>', "the CA that signed sigil's serving certificate (default: system roots)")
    .option('--interval <duration>', 'time between fetches', '5s')
    .option('--once', 'fetch and write once, then exit (non-zero when it failed)', false)
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://host:port/metrics')
    .action((o: KubeSyncOptions) => done(h.kubeSync(o)));
}
