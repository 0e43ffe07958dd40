import {
  AndFilter,
  EqualityFilter,
  ExtensibleFilter,
  FilterParser,
  OrFilter,
  type Filter,
} from 'ldapts';
import { AppError, errorMessage } from '../../errors.js';

/**
 * The only place LDAP filters are built. Values typed by people (usernames) or read from the
 * directory (DNs, ids) only ever go into filter *objects* (EqualityFilter, ExtensibleFilter):
 * ldapts writes them as BER octet strings, so they are never escaped by hand and never escaped
 * twice (Dex escapes the username twice). Text filters come only from the administrator's
 * configuration and are parsed once, at startup.
 */

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: transitive membership evaluated by the server. */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

/**
 * Parses an administrator's filter (`userSearch.filter`, `groupSearch.filter`). A filter
 * without the outer parentheses (`objectClass=person`) is accepted. Throws
 * AppError('CONFIG_INVALID') naming the key when it does not parse.
 */
export function parseAdminFilter(text: string, key: string): Filter {
  const trimmed = text.trim();
  const wrapped = trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
  try {
    // ldapts forgives a missing final parenthesis (`(&(a=b)`); an administrator's typo must not.
    if (!balanced(wrapped)) throw new Error('unbalanced parentheses');
    return FilterParser.parseString(wrapped);
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `${key}: cannot parse LDAP filter ${JSON.stringify(text)}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Parentheses close in order and all close (values carry parentheses escaped as \\28 / \\29). */
function balanced(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** Same check as parseAdminFilter, for the config schema: undefined when valid, else the reason. */
export function adminFilterProblem(text: string): string | undefined {
  try {
    parseAdminFilter(text, 'filter');
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

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
