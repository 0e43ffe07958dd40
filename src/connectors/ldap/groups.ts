import type { Entry, Filter } from 'ldapts';
import { firstNonEmpty, isDnAttr, strings } from './entry.js';
import { groupMemberAnyFilter, nestedGroupFilter } from './filters.js';
import type { GroupCache } from './group-cache.js';
import type { LdapSettings, UserMatcher } from './settings.js';

/** Runs one (paged) group search under groupSearch.baseDN. */
export type GroupSearch = (filter: Filter, attributes: string[]) => Promise<Entry[]>;

export interface GroupLog {
  warn(obj: object, msg: string): void;
}

/** Values per query when a level of recursion asks for many groups at once. */
const CHUNK = 50;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const key = (dn: string) => dn.toLowerCase();

/**
 * The names of the user's groups (Dex semantics): every matcher is tried and the results
 * merged; `DN` as userAttr means the entry's DN. With recursionGroupAttr (Dex's meaning: the
 * attribute of a *parent* group that lists the child group's DN, e.g. `member`), the parents of
 * each group are the groups whose recursionGroupAttr holds its DN, found level by level, each
 * group expanded once (a cycle ends) and at most maxDepth levels deep. With activeDirectoryNested, a DN matcher asks AD for the transitive
 * closure in one query (LDAP_MATCHING_RULE_IN_CHAIN). Names are de-duplicated and sorted.
 */
export async function resolveGroups(
  settings: LdapSettings,
  user: Entry,
  search: GroupSearch,
  log: GroupLog,
  cache?: GroupCache,
): Promise<string[]> {
  const g = settings.config.groupSearch;
  if (g === undefined) return [];
  const found = new Map<string, Entry>();
  for (const matcher of settings.matchers) {
    const values = strings(user, matcher.userAttr);
    if (values.length === 0) continue;
    const attributes = [g.nameAttr];
    if (g.activeDirectoryNested && isDnAttr(matcher.userAttr)) {
      for (const dn of values) {
        for (const e of await search(
          nestedGroupFilter(settings.groupFilter, matcher.groupAttr, dn),
          attributes,
        ))
          found.set(key(e.dn), e);
      }
      continue;
    }
    const ask: Lookup = { settings, attributes, search, cache };
    await matchWithParents(ask, matcher, values, found, log);
  }
  const names = new Set<string>();
  for (const e of found.values()) {
    const name = firstNonEmpty(e, g.nameAttr);
    if (name === undefined)
      log.warn({ group: e.dn, nameAttr: g.nameAttr }, 'ldap group has no name attribute; skipped');
    else names.add(name);
  }
  return [...names].sort();
}

/** How one matcher's groups are looked up: the directory, and the cached group graph. */
interface Lookup {
  readonly settings: LdapSettings;
  readonly attributes: string[];
  readonly search: GroupSearch;
  readonly cache: GroupCache | undefined;
}

async function matchWithParents(
  ask: Lookup,
  matcher: UserMatcher,
  values: readonly string[],
  found: Map<string, Entry>,
  log: GroupLog,
): Promise<void> {
  const maxDepth = ask.settings.config.groupSearch?.maxDepth ?? 16;
  const expanded = new Set<string>();
  // The user's direct groups: read every time.
  let level = await lookup(ask, matcher.groupAttr, values);
  for (let depth = 1; ; depth++) {
    const fresh = level.filter((e) => !expanded.has(key(e.dn)));
    for (const e of fresh) {
      found.set(key(e.dn), e);
      expanded.add(key(e.dn));
    }
    if (matcher.recursionGroupAttr === undefined || fresh.length === 0) return;
    if (depth >= maxDepth) {
      log.warn(
        { maxDepth, groupAttr: matcher.groupAttr },
        'ldap group nesting deeper than groupSearch.maxDepth; parents beyond it are ignored',
      );
      return;
    }
    // Dex: `(<recursionGroupAttr>=<child group's DN>)` finds the parents.
    level = await parents(ask, matcher.recursionGroupAttr, fresh);
  }
}

/**
 * The parent groups of `groups` (Dex: the groups whose `recursionAttr` holds the child's DN):
 * from the cache where it has them, the rest from the directory, one search per group not
 * cached (so each answer can be cached under its child).
 */
async function parents(
  ask: Lookup,
  recursionAttr: string,
  groups: readonly Entry[],
): Promise<Entry[]> {
  const childDns = [...new Set(groups.map((e) => e.dn))];
  const cache = ask.cache;
  if (cache === undefined) return lookup(ask, recursionAttr, childDns);
  const out: Entry[] = [];
  const missing: string[] = [];
  for (const dn of childDns) {
    const hit = cache.get(recursionAttr, key(dn));
    if (hit === undefined) missing.push(dn);
    else out.push(...hit);
  }
  const fetched = await Promise.all(
    missing.map(async (dn) => {
      const found = await lookup(ask, recursionAttr, [dn]);
      cache.set(recursionAttr, key(dn), found);
      return found;
    }),
  );
  for (const f of fetched) out.push(...f);
  return out;
}

async function lookup(ask: Lookup, groupAttr: string, values: readonly string[]): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const part of chunks([...new Set(values)])) {
    out.push(
      ...(await ask.search(
        groupMemberAnyFilter(ask.settings.groupFilter, groupAttr, part),
        ask.attributes,
      )),
    );
  }
  return out;
}
