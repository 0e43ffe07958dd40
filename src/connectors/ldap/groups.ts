import type { Entry, Filter } from 'ldapts';
import { firstNonEmpty, isDnAttr, strings } from './entry.js';
import { groupMemberAnyFilter, nestedGroupFilter } from './filters.js';
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
    await matchWithParents(settings, matcher, values, attributes, search, found, log);
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

async function matchWithParents(
  settings: LdapSettings,
  matcher: UserMatcher,
  values: readonly string[],
  attributes: string[],
  search: GroupSearch,
  found: Map<string, Entry>,
  log: GroupLog,
): Promise<void> {
  const maxDepth = settings.config.groupSearch?.maxDepth ?? 16;
  const expanded = new Set<string>();
  let level = await lookup(settings, matcher.groupAttr, values, attributes, search);
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
    const childDns = fresh.map((e) => e.dn);
    level = await lookup(settings, matcher.recursionGroupAttr, childDns, attributes, search);
  }
}

async function lookup(
  settings: LdapSettings,
  groupAttr: string,
  values: readonly string[],
  attributes: string[],
  search: GroupSearch,
): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const part of chunks([...new Set(values)])) {
    out.push(
      ...(await search(groupMemberAnyFilter(settings.groupFilter, groupAttr, part), attributes)),
    );
  }
  return out;
}
