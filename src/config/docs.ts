import { z } from 'zod';
import { FILE_SECRET_KEYS } from './load.js';

/**
 * The configuration reference (docs/config.md), generated from the zod schema through its
 * JSON Schema so that the documentation cannot drift from what is validated. One table row
 * per key path: nested objects as `a.b`, array items as `a[].b`, and the variants of a
 * discriminated union (`storage`, `connectors[]`) each marked with the discriminator value
 * they apply to. Cross-field rules (the schema's superRefine) have no JSON Schema form and
 * are not listed here.
 *
 * The JSON Schema is the schema's *input* side: a duration shows as the string the user writes
 * and its `.prefault('10m')` as the default `10m` (zod 4 emits a prefault as `default` for
 * `io: 'input'`), although the parsed config holds milliseconds. A `.default()` on a value
 * that is transformed is dropped from the input side by zod, so such keys use `.prefault()`.
 */
interface JsonNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonNode>>;
  readonly required?: readonly string[];
  readonly items?: JsonNode;
  readonly oneOf?: readonly JsonNode[];
  readonly anyOf?: readonly JsonNode[];
  readonly additionalProperties?: boolean | JsonNode;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly description?: string;
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonNode>>;
}

export interface ConfigRow {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

/** Every documented key path of `schema`, parents before children, in schema order. */
export function configRows(schema: z.ZodType): ConfigRow[] {
  const root = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as unknown as JsonNode;
  const rows: ConfigRow[] = [];
  const deref = (node: JsonNode): JsonNode => {
    const ref = node.$ref;
    if (ref === undefined) return node;
    const name = /^#\/\$defs\/(.+)$/.exec(ref)?.[1];
    const target = name === undefined ? undefined : root.$defs?.[name];
    return target === undefined ? node : { ...deref(target), ...without(node, ['$ref']) };
  };

  const walk = (raw: JsonNode, path: string, required: boolean, when: string): void => {
    const node = deref(raw);
    const variants = (node.oneOf ?? node.anyOf ?? []).map(deref).filter((v) => v.type !== 'null');
    const discriminator = variants.length > 0 ? discriminatorOf(variants) : undefined;
    if (discriminator !== undefined) {
      walkVariants(rows, { node, variants, path, required, when, discriminator }, walk);
      return;
    }
    if (variants.length === 1 && variants[0] !== undefined) {
      walk({ ...variants[0], ...without(node, ['oneOf', 'anyOf']) }, path, required, when);
      return;
    }
    // A value or an object (`failClosed` or `{lastKnown: 4h}`): the keys of the object form too.
    const objects = variants.filter((v) => v.type === 'object' && v.properties !== undefined);
    if (variants.length > 1 && objects.length > 0) {
      push(rows, path, typeOf(node), node, required, when);
      for (const v of objects) walkProperties(v, path, when, walk);
      return;
    }
    if (
      node.type === 'object' &&
      (node.properties !== undefined || typeof node.additionalProperties === 'object')
    ) {
      if (path !== '') push(rows, path, 'object', node, required, when);
      walkProperties(node, path, when, walk);
      if (typeof node.additionalProperties === 'object')
        walk(node.additionalProperties, join(path, '<name>'), false, when);
      return;
    }
    if (node.type === 'array' && node.items !== undefined) {
      const items = deref(node.items);
      const atLeast = node.minItems === undefined ? '' : ` (at least ${String(node.minItems)})`;
      if (items.type === 'object' && items.properties !== undefined) {
        push(rows, path, `list of objects${atLeast}`, node, required, when);
        walkProperties(items, `${path}[]`, when, walk);
        return;
      }
      if (items.oneOf !== undefined || items.anyOf !== undefined) {
        push(rows, path, `list${atLeast}`, node, required, when);
        walk(items, `${path}[]`, false, when);
        return;
      }
      push(rows, path, `list of ${typeOf(items)}${atLeast}`, node, required, when);
      return;
    }
    push(rows, path, typeOf(node), node, required, when);
  };

  walk(root, '', true, '');
  return rows;
}

/** The whole Markdown reference. Deterministic: the same schema gives the same bytes. */
export function renderConfigReference(schema: z.ZodType): string {
  const secrets = FILE_SECRET_KEYS.map((k) => `\`${k}\``).join(', ');
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs` from src/config/schema.ts. Do not edit by hand. -->',
    '',
    'sigil reads one YAML file. Unknown keys are errors, and every problem is reported with its path.',
    'Key names follow Dex where Dex has the same concept.',
    '',
    `- **Secrets from files.** The string secrets ${secrets} may be read from a file instead: write \`<key>File: /path/to/file\` in place of \`<key>\` (e.g. \`bindPWFile\`, \`hashFile\`). A relative path is relative to the config file; one trailing newline is dropped.`,
    '- **Environment variables.** `${ENV_VAR}` anywhere in a string value is replaced by that variable; an unset variable is an error.',
    '- **Durations** use Go syntax: `90s`, `10m`, `1h30m`, `720h`.',
    '- `key[]` is an item of a list; *(type: x)* marks keys that exist only in that variant.',
    '- The *default* column says `required` for keys without a default that must be set, and — for optional keys.',
    '',
    '| key | type | default | description |',
    '| --- | --- | --- | --- |',
    ...configRows(schema).map(
      (r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

type Walk = (raw: JsonNode, path: string, required: boolean, when: string) => void;

/** A discriminated union (`storage`, `connectors[]`): the discriminator, then each variant's keys. */
function walkVariants(
  rows: ConfigRow[],
  u: {
    node: JsonNode;
    variants: readonly JsonNode[];
    path: string;
    required: boolean;
    when: string;
    discriminator: string;
  },
  walk: Walk,
): void {
  const { node, variants, path, required, when, discriminator } = u;
  push(rows, path, `one of, by \`${discriminator}\``, node, required, when);
  const values = variants.map((v) => v.properties?.[discriminator]?.const);
  rows.push({
    key: join(path, discriminator),
    type: values.map(code).join(' | '),
    default: 'required',
    description: `Selects the variant of \`${path}\`.`,
  });
  for (const v of variants) {
    const tag = `${discriminator}: ${String(v.properties?.[discriminator]?.const)}`;
    const inner = when === '' ? tag : `${when}; ${tag}`;
    for (const [key, child] of Object.entries(v.properties ?? {})) {
      if (key !== discriminator)
        walk(child, join(path, key), v.required?.includes(key) ?? false, inner);
    }
  }
}

function push(
  rows: ConfigRow[],
  path: string,
  type: string,
  node: JsonNode,
  required: boolean,
  when: string,
): void {
  const prefix = when === '' ? '' : `*(${when})* `;
  rows.push({
    key: path,
    type,
    default: defaultOf(node, required),
    description: `${prefix}${node.description ?? ''}`.trim(),
  });
}

function discriminatorOf(variants: readonly JsonNode[]): string | undefined {
  const first = variants[0];
  if (first?.properties === undefined) return undefined;
  return Object.keys(first.properties).find((key) =>
    variants.every(
      (v) =>
        v.type === 'object' &&
        v.properties?.[key]?.const !== undefined &&
        v.required?.includes(key) === true,
    ),
  );
}

function typeOf(node: JsonNode): string {
  if (node.const !== undefined) return code(node.const);
  if (node.enum !== undefined) return node.enum.map(code).join(' | ');
  const union = node.oneOf ?? node.anyOf;
  if (union !== undefined) return union.map(typeOf).join(' or ');
  const base = typeof node.type === 'string' ? node.type : (node.type?.join(' or ') ?? 'any');
  const details: string[] = [];
  if (node.format !== undefined) details.push(node.format === 'uri' ? 'URL' : node.format);
  const min = bound(node.minimum);
  const max = bound(node.maximum);
  if (min !== undefined || max !== undefined) details.push(`${min ?? '…'}–${max ?? '…'}`);
  if (node.minLength !== undefined && node.minLength > 0) {
    details.push(
      node.minLength === 1 ? 'non-empty' : `at least ${String(node.minLength)} characters`,
    );
  }
  if (node.maxLength !== undefined) details.push(`at most ${String(node.maxLength)} characters`);
  if (node.pattern !== undefined) details.push(`matching \`${node.pattern}\``);
  return details.length === 0 ? base : `${base} (${details.join(', ')})`;
}

/** Walks each property of an object node under `path`. */
function walkProperties(node: JsonNode, path: string, when: string, walk: Walk): void {
  for (const [key, child] of Object.entries(node.properties ?? {}))
    walk(child, join(path, key), node.required?.includes(key) ?? false, when);
}

/** A range bound worth printing: `.int()` alone emits ±MAX_SAFE_INTEGER. */
function bound(value: number | undefined): string | undefined {
  return value === undefined || Math.abs(value) >= Number.MAX_SAFE_INTEGER
    ? undefined
    : String(value);
}

function defaultOf(node: JsonNode, required: boolean): string {
  const value = node.default;
  if (value === undefined) return required ? 'required' : '—';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return 'see below';
  return code(value);
}

function code(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

/** Escapes a table cell: `|` would end the cell (GFM reads `\|` as `|`, also in code spans). */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function without(node: JsonNode, keys: readonly string[]): JsonNode {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (!keys.includes(k)) out[k] = v;
  return out;
}
