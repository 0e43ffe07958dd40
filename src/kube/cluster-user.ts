import type { ClusterConfig } from '../config/index.js';

/** What a cluster's claim mapping needs (the `clusters[]` keys). */
export type ClaimMapping = Pick<
  ClusterConfig,
  'usernameClaim' | 'usernamePrefix' | 'groupsClaim' | 'groupsPrefix'
>;

export type ClusterUser =
  | {
      readonly ok: true;
      readonly username: string;
      readonly groups: readonly string[];
      /** From `sub` (claimMappings.uid of the generated AuthenticationConfiguration). */
      readonly uid?: string;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * "Who am I on this cluster": the username and groups kube-apiserver derives from these
 * id_token claims with this cluster's mapping, or why it refuses the token. It follows the
 * API server's OIDC authenticator and the userValidationRules sigil generates:
 * - the username claim must be a non-empty string; with claim `email`, `email_verified`
 *   when present must be `true`;
 * - the groups claim may be absent, a string or an array of strings (anything else fails);
 * - both get their prefix; a `system:` username or group is refused.
 * Signature, issuer, audience and expiry are checked elsewhere (they do not depend on the mapping).
 */
export function clusterUser(
  claims: Readonly<Record<string, unknown>>,
  m: ClaimMapping,
): ClusterUser {
  const rawName = claims[m.usernameClaim];
  if (rawName === undefined)
    return { ok: false, reason: `the token has no ${m.usernameClaim} claim` };
  if (typeof rawName !== 'string')
    return { ok: false, reason: `the ${m.usernameClaim} claim is not a string` };
  if (rawName === '') return { ok: false, reason: `the ${m.usernameClaim} claim is empty` };
  if (m.usernameClaim === 'email' && 'email_verified' in claims) {
    const verified = claims['email_verified'];
    if (typeof verified !== 'boolean')
      return { ok: false, reason: 'the email_verified claim is not a boolean' };
    if (!verified) return { ok: false, reason: 'the email address is not verified' };
  }

  const rawGroups = claims[m.groupsClaim];
  let groups: string[];
  if (rawGroups === undefined || rawGroups === null) groups = [];
  else if (typeof rawGroups === 'string') groups = rawGroups === '' ? [] : [rawGroups];
  else if (Array.isArray(rawGroups) && rawGroups.every((g): g is string => typeof g === 'string'))
    groups = rawGroups;
  else
    return { ok: false, reason: `the ${m.groupsClaim} claim is not a string or a list of strings` };

  const username = `${m.usernamePrefix}${rawName}`;
  const prefixed = groups.map((g) => `${m.groupsPrefix}${g}`);
  if (username.startsWith('system:'))
    return { ok: false, reason: `the username ${username} uses the reserved system: prefix` };
  const reserved = prefixed.find((g) => g.startsWith('system:'));
  if (reserved !== undefined)
    return { ok: false, reason: `the group ${reserved} uses the reserved system: prefix` };
  const sub = claims['sub'];
  return {
    ok: true,
    username,
    groups: prefixed,
    ...(typeof sub === 'string' ? { uid: sub } : {}),
  };
}
