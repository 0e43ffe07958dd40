import { z } from 'zod';
import { isValidGroupPattern } from '../../lib/index.js';
import { durationMs } from './common.js';

/** The scope a client asks for another client's audience with (Dex's cross-client trust). */
export const AUDIENCE_SCOPE_PREFIX = 'audience:server:client_id:';

export const audienceScope = (clientId: string): string => `${AUDIENCE_SCOPE_PREFIX}${clientId}`;

const groupPattern = z.string().min(1).max(512).refine(isValidGroupPattern, {
  error: 'not a valid pattern: a glob (`team-*`) or a regular expression between slashes',
});

const groupFilter = z
  .object({
    include: z.array(groupPattern).optional().meta({
      description:
        'Keep only groups matching one of these patterns: globs (`team-*`) or regular expressions between slashes (`/^k8s-/`).',
    }),
    exclude: z
      .array(groupPattern)
      .default([])
      .meta({ description: 'Drop groups matching one of these patterns (after `include`).' }),
    prefix: z.string().max(128).default('').meta({
      description:
        "Prepended to every group in this client's tokens (e.g. `corp:`), like kube-apiserver's `--oidc-groups-prefix`.",
    }),
  })
  .strict()
  .optional()
  .meta({ description: "Which directory groups go into this client's `groups` claim." });

export const staticClient = z
  .object({
    id: z
      .string()
      .min(1)
      .max(200)
      .meta({ description: 'client_id; also the `aud` of its id_tokens.' }),
    secret: z.string().min(1).optional().meta({
      description: 'client_secret of a confidential client. Also `secretFile` or `${ENV}`.',
    }),
    name: z.string().optional().meta({ description: 'Display name on the consent page.' }),
    redirectURIs: z.array(z.url()).default([]).meta({
      description:
        'Allowed redirect URIs. A public client with none accepts loopback redirects on any port (http://localhost and http://127.0.0.1), as in Dex.',
    }),
    public: z
      .boolean()
      .default(false)
      .meta({ description: 'A public client (no secret, PKCE S256 required), such as kubelogin.' }),
    skipApprovalScreen: z.boolean().optional().meta({
      description: 'Skip the consent page for this client (default: `oauth2.skipApprovalScreen`).',
    }),
    refreshTokens: z.boolean().default(true).meta({
      description:
        'Issue refresh tokens to this client even without `offline_access` (kubelogin never asks for it).',
    }),
    idTokenTTL: durationMs
      .optional()
      .meta({ description: "Lifetime of this client's id_tokens (default `expiry.idTokens`)." }),
    trustedPeers: z.array(z.string().min(1).max(200)).default([]).meta({
      description:
        "Clients that may ask for id_tokens this client accepts too (Dex's cross-client trust): a listed client requesting the scope `audience:server:client_id:<this id>` gets an id_token with both ids in `aud` (and itself as `azp`). This is how one kubelogin client gets a token for each cluster's own audience (`clusters[].loginClientID`).",
    }),
    passwordGrant: z.boolean().default(false).meta({
      description:
        'Allow the resource owner password grant for this client (CI jobs, `kubelogin --grant-type=password`). Off by default; passwords go through the same connector and throttling as the login page.',
    }),
    postLogoutRedirectURIs: z
      .array(z.url())
      .default([])
      .meta({ description: 'Where RP-initiated logout may return to.' }),
    allowedGroups: z.array(z.string().min(1)).min(1).optional().meta({
      description:
        "Only members of at least one of these directory groups may use this client: checked at login (others get access_denied and a page saying so) and again at every refresh (invalid_grant). Compared with the user's directory groups before `groupFilter`.",
    }),
    groupFilter,
    maxGroups: z.number().int().min(1).max(10_000).optional().meta({
      description:
        "Most groups this client's tokens may carry (default `access.maxGroups`). A user with more (after `groupFilter`) is refused with a clear error instead of getting a token an API server or proxy rejects.",
    }),
  })
  .strict();

export const oauth2 = z
  .object({
    skipApprovalScreen: z.boolean().default(true).meta({
      description: 'Skip the consent page for configured (first-party) clients.',
    }),
    passwordConnector: z.string().optional().meta({
      description: 'Connector id used by the password grant (default: the first).',
    }),
  })
  .strict();
