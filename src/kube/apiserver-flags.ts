import { ACR_MFA, type ClusterConfig } from '../config/index.js';

export interface ApiServerFlagsInput {
  /** sigil's issuer, exactly as configured (discovery `issuer`, token `iss`). */
  readonly issuer: string;
  readonly cluster: ClusterConfig;
  /** Path kube-apiserver reads the issuer's CA from; no `--oidc-ca-file` when undefined. */
  readonly caFile?: string | undefined;
  /** Algorithms of the keys that sign id_tokens (`--oidc-signing-algs`). */
  readonly signingAlgs: readonly string[];
}

/** Characters that need no quoting in a shell word or a YAML plain scalar. */
const SAFE = /^[A-Za-z0-9_./=,@+-]*(:[A-Za-z0-9_./=,@+-]+)*$/;

/**
 * One flag per line. A line that a shell or YAML would misread (a prefix ending in `:` reads
 * as a YAML mapping key) is single-quoted, which both a shell and a YAML list item
 * (`- '--oidc-username-prefix=oidc:'`) accept. Config values cannot hold quotes (schema).
 */
function line(flag: string, value: string): string {
  const text = `--oidc-${flag}=${value}`;
  return SAFE.test(text) ? text : `'${text}'`;
}

/**
 * kube-apiserver's `--oidc-*` flags for one cluster. Prefixes are always explicit: an empty
 * username prefix is `-` (kube-apiserver's "no prefix"); without it kube-apiserver would
 * prefix non-email usernames with `<issuer>#`. An empty groups prefix leaves the flag out.
 */
export function renderApiServerFlags(input: ApiServerFlagsInput): string {
  const { cluster } = input;
  const lines = [
    line('issuer-url', input.issuer),
    line('client-id', cluster.clientID),
    line('username-claim', cluster.usernameClaim),
    line('username-prefix', cluster.usernamePrefix === '' ? '-' : cluster.usernamePrefix),
    line('groups-claim', cluster.groupsClaim),
  ];
  if (cluster.groupsPrefix !== '') lines.push(line('groups-prefix', cluster.groupsPrefix));
  if (input.caFile !== undefined) lines.push(line('ca-file', input.caFile));
  // A requireMFA cluster: only tokens from a multi-factor login (string equality on `acr`).
  if (cluster.requireMFA) lines.push(line('required-claim', `acr=${ACR_MFA}`));
  lines.push(line('signing-algs', input.signingAlgs.join(',')));
  return `${lines.join('\n')}\n`;
}
