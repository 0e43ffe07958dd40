import { FilterParser, type Filter } from 'ldapts';
import { AppError, errorMessage } from '../../errors.js';

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
