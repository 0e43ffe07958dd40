import type { z } from 'zod';
import type { Json } from './dex/index.js';

/**
 * zod's issues in plain words: what the key needs and what it got ("expected a string, got a
 * number", "unknown type \"sqlite3\": expected one of postgres, pglite"), never zod's own
 * wording ("Invalid input", "discriminator").
 */

function valueAt(root: Json, path: readonly PropertyKey[]): Json | undefined {
  let v: Json | undefined = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Array.isArray(v) ? v[Number(p)] : v[String(p)];
  }
  return v;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys',
};

function describe(v: Json | undefined): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping of keys';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return String(v);
}

const list = (values: readonly unknown[]) => values.map((v) => String(v)).join(', ');

function sized(issue: { origin?: unknown }, bound: number | bigint, word: string): string {
  const n = String(bound);
  switch (issue.origin) {
    case 'string':
      return bound === 1 && word === 'at least' ? 'must not be empty' : `${word} ${n} characters`;
    case 'array':
      return `${word} ${n} ${n === '1' ? 'entry' : 'entries'}`;
    default:
      return `must be ${word} ${n}`;
  }
}

export function plainMessage(issue: z.core.$ZodIssue, input: Json): string {
  const got = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return got === undefined
        ? `missing: expected ${ARTICLE[issue.expected] ?? issue.expected}`
        : `expected ${ARTICLE[issue.expected] ?? issue.expected}, got ${describe(got)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `expected one of ${list(issue.values)}${got === undefined ? '' : `, got ${describe(got)}`}`;
    case 'invalid_union': {
      const { options, discriminator } = issue as { options?: unknown[]; discriminator?: string };
      if (discriminator !== undefined && options !== undefined)
        return got === undefined
          ? `missing: expected one of ${list(options)}`
          : `unknown ${String(issue.path.at(-1) ?? 'value')} ${describe(got)}: expected one of ${list(options)}`;
      return `not a valid value${got === undefined ? '' : ` (${describe(got)})`}`;
    }
    case 'invalid_format':
      return issue.format === 'url'
        ? `not a URL${got === undefined ? '' : `: ${describe(got)}`} (e.g. https://auth.example.com/dex)`
        : plainOr(issue.message, 'not in the expected format');
    case 'too_small':
      return sized(issue, issue.minimum, 'at least');
    case 'too_big':
      return sized(issue, issue.maximum, 'at most');
    case 'custom':
    case 'invalid_element':
    case 'invalid_key':
    case 'not_multiple_of':
    case 'unrecognized_keys':
      return plainOr(issue.message, 'not a valid value');
  }
}

/** zod's default wording, recognised: replaced; a message of ours: kept. */
const ZOD_WORDING = /^(Invalid|Too (small|big)|Unrecognized)|discriminator|received /;

function plainOr(message: string, fallback: string): string {
  return ZOD_WORDING.test(message) ? fallback : message;
}
