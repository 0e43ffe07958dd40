import { AndFilter, EqualityFilter, ExtensibleFilter, OrFilter, type Filter } from 'ldapts';

/**
 * The only place LDAP filters are built. Values typed by people (usernames) or read from the
 * directory (DNs, ids) only ever go into filter *objects* (EqualityFilter, ExtensibleFilter):
 * ldapts writes them as BER octet strings, so they are never escaped by hand and never escaped
 * twice (Dex escapes the username twice). Text filters come only from the administrator's
 * configuration: the config schema checks them (config/schema/ldap-filter.ts) and they are
 * parsed once, at startup.
 */

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: transitive membership evaluated by the server. */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

function and(base: Filter | undefined, filter: Filter): Filter {
  return base === undefined ? filter : new AndFilter({ filters: [base, filter] });
}

/** `(&<userSearch.filter>(<usernameAttr>=<username>))`: the username is a value, never filter text. */
export function userByNameFilter(
  base: Filter | undefined,
  usernameAttr: string,
  username: string,
): Filter {
  return and(base, new EqualityFilter({ attribute: usernameAttr, value: username }));
}

/** `(&<userSearch.filter>(<idAttr>=<id>))`; id is a Buffer for binary ids such as objectGUID. */
export function userByIdFilter(
  base: Filter | undefined,
  idAttr: string,
  id: string | Buffer,
): Filter {
  return and(base, new EqualityFilter({ attribute: idAttr, value: id }));
}

/** Only the id, without the administrator's filter: tells "moved out of the filter" from "deleted". */
export function idOnlyFilter(idAttr: string, id: string | Buffer): Filter {
  return new EqualityFilter({ attribute: idAttr, value: id });
}

/** `(&<groupSearch.filter>(<groupAttr>=<value>))`: groups that hold `value` in `groupAttr`. */
export function groupMemberFilter(
  base: Filter | undefined,
  groupAttr: string,
  value: string,
): Filter {
  return and(base, new EqualityFilter({ attribute: groupAttr, value }));
}

/**
 * Groups holding `value` in any of `groupAttrs` (one query for a level of recursion):
 * `(&<groupSearch.filter>(|(member=a)(member=b)))`.
 */
export function groupMemberAnyFilter(
  base: Filter | undefined,
  groupAttr: string,
  values: readonly string[],
): Filter {
  const one = values.map((value) => new EqualityFilter({ attribute: groupAttr, value }));
  const only = one[0];
  return and(base, one.length === 1 && only !== undefined ? only : new OrFilter({ filters: one }));
}

/** AD: every group the DN is a member of, at any depth: `(&<filter>(member:1.2.840.113556.1.4.1941:=<dn>))`. */
export function nestedGroupFilter(base: Filter | undefined, groupAttr: string, dn: string): Filter {
  return and(
    base,
    new ExtensibleFilter({ matchType: groupAttr, rule: MATCHING_RULE_IN_CHAIN, value: dn }),
  );
}
