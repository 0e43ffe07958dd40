/**
 * Group name patterns of the per-client `groupFilter`: a glob (`team-*`, `?` one character,
 * `*` any run) or, between slashes, a regular expression (`/^team-[a-z]+$/`). A glob matches
 * the whole name, case-sensitively, like the names kube-apiserver's RBAC compares.
 */
export type GroupMatcher = (group: string) => boolean;

const REGEX_LITERAL = /^\/(.+)\/$/s;

/** Escapes only what is special outside a character class (`\-` is invalid with the `u` flag). */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[\\^$.|+()[\]{}*?]/g, (ch) =>
    ch === '*' ? '.*' : ch === '?' ? '.' : `\\${ch}`,
  );
  return new RegExp(`^${body}$`, 'su');
}

/** Compiles one pattern; throws a SyntaxError for a bad regular expression. */
export function compileGroupPattern(pattern: string): GroupMatcher {
  const literal = REGEX_LITERAL.exec(pattern);
  const re = literal?.[1] === undefined ? globToRegExp(pattern) : new RegExp(literal[1], 'u');
  return (group) => re.test(group);
}

/** For the config schema: does this pattern compile? */
export function isValidGroupPattern(pattern: string): boolean {
  try {
    compileGroupPattern(pattern);
    return true;
  } catch {
    return false;
  }
}

/** One matcher for a list: true when any pattern matches. */
export function anyOf(patterns: readonly string[]): GroupMatcher {
  const all = patterns.map(compileGroupPattern);
  return (group) => all.some((m) => m(group));
}
