import type { ClusterConfig } from '../../config/index.js';
import { ACR_MFA } from '../../config/index.js';
import { addElevationSid, type ActiveElevation, type Queryable } from '../../storage/index.js';
import type { Audit } from '../audit.js';
import { clusterClients, inAny, type ResolvedRole } from './roles.js';

/**
 * The deny entries of an early end cover tokens issued up to this long after it: a token
 * request that read the grant as active just before the end committed signs within it (the
 * read-to-sign time of one request is milliseconds), so its token is refused too. A request
 * that reads the grant as ended waits until after it (settleMs).
 */
export const END_MARGIN_MS = 1000;

/**
 * The token path of elevation (oidc/accounts.ts): which of a person's active grants an
 * id_token carries, and what issuing one records. The grants come with the identity read
 * (storage/identities.ts), so a refresh costs no statement for them; only the first elevated
 * token of a login writes (its sid joins the grants' sids, for the deny entries of an early end).
 */
export interface ElevatedTokens {
  /**
   * The grants among `active` an id_token for `clientId` carries: the grant's clusters name
   * the client (clientID or loginClientID; none named: every client), its role is still
   * configured, the person is still in one of its eligible groups (`groups`: the directory's
   * answer of this login or refresh), and when the role requires MFA the login passed a second
   * factor (`acr`).
   */
  applicable(
    active: readonly ActiveElevation[],
    clientId: string | undefined,
    acr: string | undefined,
    groups: readonly string[],
  ): ActiveElevation[];
  /** An id_token carrying these grants was issued: audit `elevation.token` (its jti), note the sid. */
  issued(t: IssuedElevatedToken): Promise<void>;
  /**
   * How long a token request must wait so that its id_token's `iat` (whole seconds) is past
   * what the deny entries of an early end refuse: that login's tokens issued before the end +
   * END_MARGIN_MS, rounded up to the second (kube/revocation). 0 almost always; at most 2 s.
   */
  settleMs(grants: readonly ActiveElevation[]): number;
}

export interface IssuedElevatedToken {
  readonly grants: readonly ActiveElevation[];
  readonly jti: string;
  readonly sid: string | undefined;
  readonly clientId: string | undefined;
  readonly sub: string;
  readonly username: string;
  readonly ip?: string | undefined;
}

export interface ElevatedTokensDeps {
  readonly db: Queryable;
  readonly roles: readonly ResolvedRole[];
  readonly clusters: readonly ClusterConfig[];
  readonly audit?: Audit;
}

export function createElevatedTokens(deps: ElevatedTokensDeps): ElevatedTokens {
  const clientsOf = clusterClients(deps.clusters);
  const roles = new Map(deps.roles.map((r) => [r.name, r]));
  const forClient = (g: ActiveElevation, clientId: string | undefined): boolean =>
    g.clusters.length === 0 ||
    (clientId !== undefined && g.clusters.some((c) => clientsOf(c).includes(clientId)));
  return {
    applicable(active, clientId, acr, groups) {
      if (active.length === 0) return [];
      const now = Date.now();
      return active.filter((g) => {
        const role = roles.get(g.role);
        return (
          g.state === 'active' &&
          role !== undefined &&
          inAny(groups, role.eligible) &&
          g.endsAt.getTime() > now &&
          forClient(g, clientId) &&
          (!role.requireMFA || acr === ACR_MFA)
        );
      });
    },
    settleMs(grants) {
      const now = Date.now();
      let wait = 0;
      for (const g of grants)
        if (g.state === 'ended' && g.endedAt !== undefined)
          wait = Math.max(
            wait,
            Math.ceil((g.endedAt.getTime() + END_MARGIN_MS) / 1000) * 1000 - now,
          );
      return Math.min(wait, END_MARGIN_MS + 1000);
    },
    async issued(t) {
      const sid = t.sid;
      const fresh =
        sid === undefined ? [] : t.grants.filter((g) => !g.sids.includes(sid)).map((g) => g.id);
      // Before the token leaves: an early end must be able to refuse it. A failure fails the
      // token request: never an elevated token an early end could not stop.
      if (sid !== undefined && fresh.length > 0) await addElevationSid(deps.db, fresh, sid);
      await deps.audit?.record({
        event: 'elevation.token',
        outcome: 'success',
        sub: t.sub,
        username: t.username,
        clientId: t.clientId,
        ip: t.ip,
        details: {
          jti: t.jti,
          sid: t.sid,
          elevations: t.grants.map((g) => g.id),
          roles: t.grants.map((g) => g.role),
          groups: t.grants.map((g) => g.group),
          endsAt: new Date(Math.min(...t.grants.map((g) => g.endsAt.getTime()))).toISOString(),
        },
      });
    },
  };
}
