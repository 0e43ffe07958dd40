import { ACR_MFA, ACR_PWD, AUDIENCE_SCOPE_PREFIX, type Config } from '../../config/index.js';

export { ACR_MFA, ACR_PWD };
export const ACR_VALUES = [ACR_PWD, ACR_MFA] as const;

/** What a login is for and who makes it: enough to say whether it needs a second factor. */
export interface MfaNeed {
  readonly clientId?: string | undefined;
  /** The requested scope (its `audience:server:client_id:<id>` scopes name more audiences). */
  readonly scope?: string | undefined;
  /** The person's directory groups, as the connector returned them. */
  readonly groups: readonly string[];
  /** The authorization request's `acr_values` (step-up). */
  readonly acrValues?: string | undefined;
}

export interface MfaPolicy {
  /** Whether this login must pass a second factor. */
  required(need: MfaNeed): boolean;
  /** Whether a person who must and has none may enroll during the login. */
  readonly enrollAtLogin: boolean;
  /** Whether the decision reads directory groups (then every login must fetch them). */
  readonly needsGroups: boolean;
}

type PolicyConfig = Pick<Config, 'mfa' | 'clusters'>;

/** The audiences a token of `clientId` with `scope` carries. */
function audiencesOf(clientId: string | undefined, scope: string | undefined): string[] {
  const extra = (scope ?? '')
    .split(' ')
    .filter((s) => s.startsWith(AUDIENCE_SCOPE_PREFIX))
    .map((s) => s.slice(AUDIENCE_SCOPE_PREFIX.length));
  return clientId === undefined ? extra : [clientId, ...extra];
}

/**
 * `mfa.required` (none | all | {groups, clients}), every `clusters[].requireMFA` audience, and
 * a client's `acr_values=urn:sigil:mfa`: any one of them makes the login need a second factor.
 */
export function createMfaPolicy(config: PolicyConfig): MfaPolicy {
  const req = config.mfa.required;
  const groups = new Set(typeof req === 'string' ? [] : req.groups);
  const clients = new Set(typeof req === 'string' ? [] : req.clients);
  const clusterAudiences = new Set(
    config.clusters.filter((c) => c.requireMFA).map((c) => c.clientID),
  );
  return {
    enrollAtLogin: config.mfa.enrollment === 'atLogin',
    needsGroups: groups.size > 0,
    required(need) {
      if (req === 'all') return true;
      if ((need.acrValues ?? '').split(' ').includes(ACR_MFA)) return true;
      if (need.clientId !== undefined && clients.has(need.clientId)) return true;
      if (need.groups.some((g) => groups.has(g))) return true;
      return audiencesOf(need.clientId, need.scope).some((a) => clusterAudiences.has(a));
    },
  };
}
