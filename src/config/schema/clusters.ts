import { z } from 'zod';

/**
 * The Kubernetes clusters that trust sigil (`clusters:` in the config). sigil generates each
 * cluster's kube-apiserver wiring (`sigil kube apiserver-config`) and its users' kubeconfigs
 * (`sigil kube kubeconfig`, the /home page) from these entries.
 */

/** Claim names: JWT claim keys as kube-apiserver reads them (no spaces or quotes). */
const claimName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}$/, 'a claim name: letters, digits, _ . : / -');

/** Prefixes end up in shell lines and YAML: no whitespace, quotes or backslashes. */
const prefix = z
  .string()
  .max(64)
  .regex(/^[^\s'"\\]*$/, 'no whitespace, quotes or backslashes');

function isBase64Pem(value: string): boolean {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(value)) return false;
  return Buffer.from(value, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----');
}

export const clusterSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/,
        'lower-case letters, digits, . and - (a DNS label or name, at most 63 characters)',
      )
      .meta({
        description:
          'Cluster name: the kubeconfig cluster and context name, and `--cluster` of `sigil kube`.',
      }),
    server: z
      .url()
      .refine((v) => v.startsWith('https://'), { error: 'must be an https URL' })
      .meta({ description: "The API server's URL (`https://api.example.com:6443`)." }),
    certificateAuthorityData: z
      .string()
      .optional()
      .refine((v) => v === undefined || isBase64Pem(v), {
        error: 'expected base64 of a PEM certificate bundle (as in a kubeconfig)',
      })
      .meta({
        description:
          "Base64 of the PEM CA bundle of the API server's certificate, as in a kubeconfig's `certificate-authority-data`. Leave out when the API server's certificate is publicly trusted.",
      }),
    clientID: z.string().min(1).max(200).meta({
      description:
        "The audience this cluster's API server expects (`--oidc-client-id`). Names a `staticClients` id: a public one kubelogin logs in with, or, with `loginClientID`, any client that lists the login client in `trustedPeers`.",
    }),
    loginClientID: z.string().min(1).max(200).optional().meta({
      description:
        'The public client kubelogin logs in with when it is not `clientID` itself: one client (say `kubectl`) for every cluster, each cluster with its own audience. The kubeconfig then asks for the scope `audience:server:client_id:<clientID>`, so the id_token carries both ids in `aud`; the `clientID` client must list this one in `trustedPeers`. A token for one cluster is then not accepted by another.',
    }),
    usernameClaim: claimName.default('email').meta({
      description:
        'Claim the API server takes the username from (`--oidc-username-claim`). Use a claim that does not change: `email`, or `sub` (the stable directory id).',
    }),
    usernamePrefix: prefix.default('oidc:').meta({
      description:
        'Prefix added to every username (`--oidc-username-prefix`), so directory users cannot collide with other users. Empty for none.',
    }),
    groupsClaim: claimName.default('groups').meta({
      description: 'Claim the API server takes the groups from (`--oidc-groups-claim`).',
    }),
    groupsPrefix: prefix.default('oidc:').meta({
      description:
        'Prefix added to every group (`--oidc-groups-prefix`); RBAC bindings name groups with it. Empty for none.',
    }),
    requireMFA: z.boolean().default(false).meta({
      description:
        "Every token for this cluster's audience needs a second factor (`acr` = `urn:sigil:mfa`): sigil asks for one at login, and `sigil kube apiserver-config` adds a rule that makes the API server itself refuse a token without it.",
    }),
    syncSecret: z
      .string()
      .min(32, 'at least 32 characters (e.g. `openssl rand -base64 32`)')
      .max(1024)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional()
      .meta({
        description:
          "The secret this cluster's sync agent (`sigil kube sync`) presents to fetch its AuthenticationConfiguration with the current deny rules (`GET /api/v1/clusters/<name>/authentication-config`, `Authorization: Bearer <secret>`). Only this cluster's configuration can be read with it. Also `syncSecretFile` or `${ENV}`. Without it the endpoint answers 403 for this cluster.",
      }),
  })
  .strict();

export type ClusterConfig = z.output<typeof clusterSchema>;

/** The client id sigil uses for its own web pages (a relying party of itself); reserved. */
export const WEB_CLIENT_ID = 'sigil-web';

interface ClusterRuleInput {
  readonly clusters: readonly ClusterConfig[];
  readonly staticClients: readonly {
    readonly id: string;
    readonly public: boolean;
    readonly trustedPeers: readonly string[];
  }[];
}

/** The client kubelogin logs in with for a cluster: `loginClientID`, else the audience itself. */
export function loginClientOf(cluster: ClusterConfig): string {
  return cluster.loginClientID ?? cluster.clientID;
}

/** Cross-field rules of `clusters` (one row each, as in the config's superRefine table). */
export function clusterIssues(
  c: ClusterRuleInput,
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const clients = new Map(c.staticClients.map((x) => [x.id, x]));
  const seen = new Set<string>();
  c.clusters.forEach((cl, i) => {
    if (seen.has(cl.name))
      out.push({ path: ['clusters', i, 'name'], message: 'duplicate cluster name' });
    seen.add(cl.name);
    const audience = clients.get(cl.clientID);
    if (audience === undefined)
      out.push({ path: ['clusters', i, 'clientID'], message: 'names no staticClients id' });
    const login = clients.get(loginClientOf(cl));
    const loginPath = [
      'clusters',
      i,
      cl.loginClientID === undefined ? 'clientID' : 'loginClientID',
    ];
    if (login === undefined) {
      if (cl.loginClientID !== undefined)
        out.push({ path: loginPath, message: 'names no staticClients id' });
    } else if (!login.public)
      out.push({
        path: loginPath,
        message:
          'names a confidential client; kubelogin has no secret: use a client with public: true',
      });
    if (
      cl.loginClientID !== undefined &&
      audience !== undefined &&
      login !== undefined &&
      cl.loginClientID !== cl.clientID &&
      !audience.trustedPeers.includes(cl.loginClientID)
    )
      out.push({
        path: ['clusters', i, 'loginClientID'],
        message: `client ${cl.clientID} does not list ${cl.loginClientID} in trustedPeers, so ${cl.loginClientID} cannot ask for its audience`,
      });
  });
  // A cluster that trusts the shared login client's own audience would accept every token
  // that client gets, whichever cluster it was meant for.
  const sharedLogins = new Map(
    c.clusters
      .filter((cl) => cl.loginClientID !== undefined && cl.loginClientID !== cl.clientID)
      .map((cl) => [cl.loginClientID, cl.name]),
  );
  c.clusters.forEach((cl, i) => {
    const other = sharedLogins.get(cl.clientID);
    if (other !== undefined)
      out.push({
        path: ['clusters', i, 'clientID'],
        message: `is the login client of cluster ${other}: this cluster would accept tokens meant for ${other}; give it an audience of its own`,
      });
  });
  const secrets = new Map<string, string>();
  c.clusters.forEach((cl, i) => {
    if (cl.syncSecret === undefined) return;
    const other = secrets.get(cl.syncSecret);
    if (other !== undefined)
      out.push({
        path: ['clusters', i, 'syncSecret'],
        message: `is also cluster ${other}'s: each cluster needs a sync secret of its own`,
      });
    secrets.set(cl.syncSecret, cl.name);
  });
  c.staticClients.forEach((cl, i) => {
    if (cl.id === WEB_CLIENT_ID)
      out.push({
        path: ['staticClients', i, 'id'],
        message: `${WEB_CLIENT_ID} is reserved for sigil's own web pages`,
      });
  });
  return out;
}
