import { stringify } from 'yaml';
import { audienceScope, loginClientOf, type ClusterConfig } from '../config/index.js';

/** The kubelogin exec plugin's scopes: email and groups for the claims, a refresh token. */
export const KUBELOGIN_EXTRA_SCOPES = ['email', 'groups', 'offline_access'] as const;

export interface KubeconfigInput {
  /** sigil's issuer, exactly as configured. */
  readonly issuer: string;
  readonly cluster: ClusterConfig;
  /** PEM of sigil's CA, when kubelogin must be told to trust it. */
  readonly issuerCaPem?: string | undefined;
}

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: {
    name: string;
    cluster: { server: string; 'certificate-authority-data'?: string };
  }[];
  users: {
    name: string;
    user: {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1';
        command: string;
        args: string[];
        interactiveMode: 'IfAvailable';
        provideClusterInfo: false;
      };
    };
  }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
  preferences: Record<string, never>;
}

/** The kubeconfig user of a cluster: unique per cluster, so merged kubeconfigs do not clash. */
export function kubeconfigUserName(cluster: ClusterConfig): string {
  return `oidc-${cluster.name}`;
}

/**
 * The scopes kubelogin asks for (besides `openid`): email and groups, a refresh token, and
 * the cluster's audience when kubelogin logs in with a shared client (`loginClientID`).
 */
function kubeloginScopes(cluster: ClusterConfig): string[] {
  return [
    ...KUBELOGIN_EXTRA_SCOPES,
    ...(loginClientOf(cluster) === cluster.clientID ? [] : [audienceScope(cluster.clientID)]),
  ];
}

/** `kubectl oidc-login get-token` arguments for a cluster (kubelogin). */
export function kubeloginArgs(input: KubeconfigInput): string[] {
  return [
    'oidc-login',
    'get-token',
    `--oidc-issuer-url=${input.issuer}`,
    `--oidc-client-id=${loginClientOf(input.cluster)}`,
    ...kubeloginScopes(input.cluster).map((s) => `--oidc-extra-scope=${s}`),
    ...(input.issuerCaPem === undefined
      ? []
      : [
          `--certificate-authority-data=${Buffer.from(input.issuerCaPem, 'utf8').toString('base64')}`,
        ]),
  ];
}

/**
 * A complete kubeconfig for one cluster (cluster, user, context, current-context) whose user
 * runs kubelogin as a `client.authentication.k8s.io/v1` exec credential plugin. It holds no
 * credential: kubelogin logs in and caches the tokens itself.
 */
export function buildKubeconfig(input: KubeconfigInput): Kubeconfig {
  const { cluster } = input;
  const user = kubeconfigUserName(cluster);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster.name,
        cluster: {
          server: cluster.server,
          ...(cluster.certificateAuthorityData === undefined
            ? {}
            : {
                'certificate-authority-data': cluster.certificateAuthorityData.replace(/\s+/g, ''),
              }),
        },
      },
    ],
    users: [
      {
        name: user,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'kubectl',
            args: kubeloginArgs(input),
            interactiveMode: 'IfAvailable',
            provideClusterInfo: false,
          },
        },
      },
    ],
    contexts: [{ name: cluster.name, context: { cluster: cluster.name, user } }],
    'current-context': cluster.name,
    preferences: {},
  };
}

export function renderKubeconfig(input: KubeconfigInput): string {
  return stringify(buildKubeconfig(input), { lineWidth: 0 });
}

/** File name offered for download: `kubeconfig-<cluster>.yaml` (cluster names are DNS-safe). */
export function kubeconfigFileName(cluster: ClusterConfig): string {
  return `kubeconfig-${cluster.name}.yaml`;
}
