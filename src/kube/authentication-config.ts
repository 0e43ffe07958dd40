import { stringify } from 'yaml';
import { ACR_MFA, type ClusterConfig } from '../config/index.js';
import { DENY_RULE_MARK, type ClaimValidationRule } from './revocation/index.js';

export type AuthenticationConfigVersion = 'v1beta1' | 'v1';

/** kube-apiserver's AuthenticationConfiguration (k8s.io/apiserver, apiserver.config.k8s.io). */
export interface AuthenticationConfiguration {
  apiVersion: `apiserver.config.k8s.io/${AuthenticationConfigVersion}`;
  kind: 'AuthenticationConfiguration';
  jwt: JwtAuthenticator[];
}

export interface JwtAuthenticator {
  issuer: {
    url: string;
    certificateAuthority?: string;
    audiences: string[];
    audienceMatchPolicy?: 'MatchAny';
  };
  claimValidationRules?: { expression: string; message: string }[];
  claimMappings: {
    username: { claim: string; prefix: string };
    groups: { claim: string; prefix: string };
    uid: { claim: string };
  };
  userValidationRules: { expression: string; message: string }[];
}

export interface AuthenticationConfigInput {
  /** sigil's issuer, exactly as configured. */
  readonly issuer: string;
  readonly cluster: ClusterConfig;
  /** PEM of the CA of sigil's serving certificate; none means system roots. */
  readonly caPem?: string | undefined;
  readonly apiVersion?: AuthenticationConfigVersion;
  /** Deny rules for revoked logins (src/kube/revocation/), after the other claim rules. */
  readonly deny?: readonly ClaimValidationRule[];
}

/** The rules that keep directory users out of Kubernetes' reserved `system:` names. */
export const USER_VALIDATION_RULES = [
  {
    expression: "!user.username.startsWith('system:')",
    message: "username cannot use the reserved 'system:' prefix",
  },
  {
    expression: "user.groups.all(group, !group.startsWith('system:'))",
    message: "groups cannot use the reserved 'system:' prefix",
  },
] as const;

/** What kube-apiserver applies by itself when username.claim is `email`, written out. */
export const EMAIL_VERIFIED_RULE = {
  expression: 'claims.?email_verified.orValue(true) == true',
  message: 'the email address is not verified',
} as const;

/**
 * For a `requireMFA` cluster: the API server itself refuses a token from a login without a
 * second factor (a stolen password, or a client that skipped it), whatever client issued it.
 */
export const MFA_RULE = {
  expression: `has(claims.acr) && claims.acr == '${ACR_MFA}'`,
  message:
    'this cluster requires a multi-factor login: sign in again with your second factor (run `kubectl oidc-login clean`, then retry)',
} as const;

/** The claimValidationRules of a cluster, then the deny rules (none: the key is left out). */
function claimRules(input: AuthenticationConfigInput): { expression: string; message: string }[] {
  const { cluster } = input;
  return [
    ...(cluster.usernameClaim === 'email' ? [{ ...EMAIL_VERIFIED_RULE }] : []),
    ...(cluster.requireMFA ? [{ ...MFA_RULE }] : []),
    ...(input.deny ?? []).map((r) => ({ ...r })),
  ];
}

/**
 * The AuthenticationConfiguration (`--authentication-config`) for one cluster:
 * `apiserver.config.k8s.io/v1beta1` by default (kube-apiserver 1.30+), `v1` on request
 * (1.34+). Prefixes are explicit (the structured config has no defaults for them), `uid` is
 * `sub` (sigil's stable directory id), and userValidationRules refuse `system:` names.
 */
export function buildAuthenticationConfiguration(
  input: AuthenticationConfigInput,
): AuthenticationConfiguration {
  const { cluster } = input;
  const rules = claimRules(input);
  const jwt: JwtAuthenticator = {
    issuer: {
      url: input.issuer,
      ...(input.caPem === undefined ? {} : { certificateAuthority: input.caPem }),
      audiences: [cluster.clientID],
    },
    ...(rules.length === 0 ? {} : { claimValidationRules: rules }),
    claimMappings: {
      username: { claim: cluster.usernameClaim, prefix: cluster.usernamePrefix },
      groups: { claim: cluster.groupsClaim, prefix: cluster.groupsPrefix },
      uid: { claim: 'sub' },
    },
    userValidationRules: USER_VALIDATION_RULES.map((r) => ({ ...r })),
  };
  return {
    apiVersion: `apiserver.config.k8s.io/${input.apiVersion ?? 'v1beta1'}`,
    kind: 'AuthenticationConfiguration',
    jwt: [jwt],
  };
}

/** The same as YAML, ready for the file `--authentication-config` names. */
export function renderAuthenticationConfiguration(input: AuthenticationConfigInput): string {
  return stringify(buildAuthenticationConfiguration(input), { lineWidth: 0 });
}

/** The same configuration without sigil's deny rules (to build them again from fresher entries). */
export function stripDenyRules(config: AuthenticationConfiguration): AuthenticationConfiguration {
  return {
    ...config,
    jwt: config.jwt.map((j) => {
      const { claimValidationRules, ...rest } = j;
      const kept = (claimValidationRules ?? []).filter(
        (r) => !r.message.startsWith(DENY_RULE_MARK),
      );
      return kept.length === 0 ? rest : { ...rest, claimValidationRules: kept };
    }),
  };
}

/** `config` with `deny` after its own claim rules (replacing any deny rules it had). */
export function withDenyRules(
  config: AuthenticationConfiguration,
  deny: readonly ClaimValidationRule[],
): AuthenticationConfiguration {
  const base = stripDenyRules(config);
  return {
    ...base,
    jwt: base.jwt.map((j) => {
      const rules = [...(j.claimValidationRules ?? []), ...deny.map((r) => ({ ...r }))];
      return rules.length === 0 ? j : { ...j, claimValidationRules: rules };
    }),
  };
}
