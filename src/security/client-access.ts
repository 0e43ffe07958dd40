import type { Config } from '../config/index.js';
import { anyOf, type GroupMatcher } from '../lib/index.js';

/**
 * Who may use which client, and what its `groups` claim carries. The order is fixed:
 * 1. groups with a reserved prefix (`system:`) are dropped, for every client;
 * 2. `allowedGroups` is checked against what is left (the directory's names);
 * 3. `groupFilter` include/exclude and `prefix` shape the claim;
 * 4. the claim may hold at most `maxGroups` names, or the request fails with a clear error.
 */
export type AccessDenialReason = 'not_in_allowed_groups' | 'too_many_groups';

export type AccessDecision =
  | { readonly allowed: true; readonly groups: string[] }
  | {
      readonly allowed: false;
      readonly reason: AccessDenialReason;
      /** Safe to show to the user and to the client (error_description). */
      readonly description: string;
    };

interface ClientRule {
  readonly name: string;
  readonly allowedGroups: ReadonlySet<string> | undefined;
  readonly include: GroupMatcher | undefined;
  readonly exclude: GroupMatcher | undefined;
  readonly prefix: string;
  readonly maxGroups: number;
}

export interface AccessPolicy {
  readonly reservedPrefixes: readonly string[];
  /** Does this name start with a reserved prefix? */
  isReserved(name: string): boolean;
  /** Splits directory groups into the ones that may reach a token and the reserved ones. */
  dropReserved(groups: readonly string[]): { kept: string[]; dropped: string[] };
  /** True when the client's rules need the user's groups even if the `groups` scope is absent. */
  needsGroups(clientId: string | undefined): boolean;
  /** The `groups` claim for this client (steps 1 and 3), without the size check. */
  groupsClaim(clientId: string | undefined, directoryGroups: readonly string[]): string[];
  /** Steps 1 to 4. */
  decide(clientId: string | undefined, directoryGroups: readonly string[]): AccessDecision;
}

export function createAccessPolicy(config: Config): AccessPolicy {
  const reserved = [...config.access.reservedPrefixes];
  const globalMax = config.access.maxGroups;
  const rules = new Map<string, ClientRule>(
    config.staticClients.map((c) => [
      c.id,
      {
        name: c.name ?? c.id,
        allowedGroups: c.allowedGroups === undefined ? undefined : new Set(c.allowedGroups),
        include: c.groupFilter?.include === undefined ? undefined : anyOf(c.groupFilter.include),
        exclude:
          c.groupFilter === undefined || c.groupFilter.exclude.length === 0
            ? undefined
            : anyOf(c.groupFilter.exclude),
        prefix: c.groupFilter?.prefix ?? '',
        maxGroups: c.maxGroups ?? globalMax,
      },
    ]),
  );
  const isReserved = (name: string) => reserved.some((p) => name.startsWith(p));
  const dropReserved = (groups: readonly string[]) => {
    const kept: string[] = [];
    const dropped: string[] = [];
    for (const g of groups) (isReserved(g) ? dropped : kept).push(g);
    return { kept, dropped };
  };
  const groupsClaim = (clientId: string | undefined, groups: readonly string[]) => {
    const rule = clientId === undefined ? undefined : rules.get(clientId);
    const kept = dropReserved(groups).kept;
    if (rule === undefined) return kept;
    const { include, exclude, prefix } = rule;
    return kept
      .filter(
        (g) => (include === undefined || include(g)) && (exclude === undefined || !exclude(g)),
      )
      .map((g) => `${prefix}${g}`);
  };
  return {
    reservedPrefixes: reserved,
    isReserved,
    dropReserved,
    needsGroups: (clientId) =>
      clientId !== undefined && rules.get(clientId)?.allowedGroups !== undefined,
    groupsClaim,
    decide(clientId, directoryGroups) {
      const rule = clientId === undefined ? undefined : rules.get(clientId);
      const allowed = rule?.allowedGroups;
      if (allowed !== undefined && !dropReserved(directoryGroups).kept.some((g) => allowed.has(g)))
        return {
          allowed: false,
          reason: 'not_in_allowed_groups',
          description: `you are not a member of a group allowed to use ${rule?.name ?? 'this client'}`,
        };
      const groups = groupsClaim(clientId, directoryGroups);
      const max = rule?.maxGroups ?? globalMax;
      if (groups.length > max)
        return {
          allowed: false,
          reason: 'too_many_groups',
          description: `your groups claim would carry ${groups.length} groups, more than the ${max} allowed for ${rule?.name ?? 'this client'}; ask an administrator to narrow its groupFilter`,
        };
      return { allowed: true, groups };
    },
  };
}
