import type { ClusterConfig, ElevationConfig } from '../../config/index.js';
import { parseDuration } from '../../lib/index.js';
import type { ElevationRole } from './types.js';

/** The config's elevation roles, resolved once: durations in seconds, approvals as data. */
export interface ResolvedRole extends ElevationRole {
  readonly eligible: readonly string[];
}

/**
 * The client ids whose id_tokens a cluster's elevated groups go to: its `clientID` and its
 * `loginClientID` (none for a name no cluster has).
 */
export function clusterClients(
  clusters: readonly ClusterConfig[],
): (cluster: string) => readonly string[] {
  const byName = new Map(
    clusters.map((c) => [
      c.name,
      [c.clientID, ...(c.loginClientID === undefined ? [] : [c.loginClientID])],
    ]),
  );
  return (cluster) => byName.get(cluster) ?? [];
}

export function resolveRoles(config: ElevationConfig): ResolvedRole[] {
  return config.roles.map((r) => ({
    name: r.name,
    group: r.group,
    eligible: [...r.eligible],
    maxDurationSec: Math.floor(r.maxDuration / 1000),
    approval: r.approval === 'self' ? 'self' : 'approvers',
    approverGroups: r.approval === 'self' ? [] : [...r.approval.approvers],
    requireMFA: r.requireMFA,
    clusters: [...r.clusters],
  }));
}

/** The public view of a role (what the page and the API show). */
export function publicRole(r: ResolvedRole): ElevationRole {
  return {
    name: r.name,
    group: r.group,
    maxDurationSec: r.maxDurationSec,
    approval: r.approval,
    approverGroups: r.approverGroups,
    requireMFA: r.requireMFA,
    clusters: r.clusters,
  };
}

/** Whether one of `groups` is one of `wanted` (exact names, as RBAC compares them). */
export const inAny = (groups: readonly string[], wanted: readonly string[]): boolean =>
  groups.some((g) => wanted.includes(g));

/**
 * A requested duration in seconds: Go syntax (`30m`, `1h30m`) or a number of seconds. Undefined
 * when it is neither, not a whole positive number of seconds, or over `maxSec`.
 */
export function requestedSeconds(input: string | number, maxSec: number): number | undefined {
  let sec: number | undefined;
  if (typeof input === 'number') sec = input;
  else if (/^\d{1,9}$/.test(input.trim())) sec = Number(input.trim());
  else {
    const ms = parseDuration(input);
    sec = ms === undefined ? undefined : ms / 1000;
  }
  if (sec === undefined || !Number.isInteger(sec) || sec <= 0 || sec > maxSec) return undefined;
  return sec;
}

export const MAX_REASON_LENGTH = 500;

/** A reason or comment as stored: trimmed; undefined when it has characters we refuse. */
export function cleanReason(text: unknown, maxLength = MAX_REASON_LENGTH): string | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.trim();
  if (t.length > maxLength) return undefined;
  // Line breaks and tabs are fine (a textarea); other control characters are not.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(t)) return undefined;
  return t;
}
