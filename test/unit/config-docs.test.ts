import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configRows, renderConfigReference } from '../../src/config/docs.js';
import { configSchema } from '../../src/config/schema.js';

/**
 * Walks a zod schema through zod's own classes (not through JSON Schema, as docs.ts does):
 * every key path, with the outermost description found on the way to it.
 */
function walkZod(
  schema: z.ZodType,
  path: string,
  out: Map<string, string | undefined>,
  description?: string,
): void {
  const desc = description ?? schema.description;
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodReadonly
  ) {
    walkZod(schema.unwrap() as z.ZodType, path, out, desc);
    return;
  }
  if (schema instanceof z.ZodPipe) {
    walkZod(schema.in as z.ZodType, path, out, desc);
    return;
  }
  if (path !== '' && (!out.has(path) || out.get(path) === undefined)) out.set(path, desc);
  if (schema instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(schema.shape)) {
      walkZod(child, path === '' ? key : `${path}.${key}`, out);
    }
  } else if (schema instanceof z.ZodArray) {
    const element = schema.element as z.ZodType;
    walkZod(element, `${path}[]`, new Map());
    // An array of objects documents its item keys; the `[]` row itself is optional.
    const items = new Map<string, string | undefined>();
    walkZod(element, `${path}[]`, items);
    for (const [k, v] of items) if (k !== `${path}[]`) out.set(k, out.get(k) ?? v);
  } else if (schema instanceof z.ZodUnion) {
    for (const option of schema.options as z.ZodType[]) walkZod(option, path, out);
  }
}

const output = renderConfigReference(configSchema);
const rowLines = output.split('\n').filter((l) => l.startsWith('| `'));
const rowsFor = (key: string) => rowLines.filter((l) => l.startsWith(`| \`${key}\` |`));
const cell = (text: string) => text.replace(/\|/g, '\\|');

describe('renderConfigReference(configSchema)', () => {
  const paths = new Map<string, string | undefined>();
  walkZod(configSchema, '', paths);

  it('finds a sensible number of keys (the walk itself works)', () => {
    expect(paths.size).toBeGreaterThan(80);
    expect(paths.has('connectors[].config.groupSearch.userMatchers[].userAttr')).toBe(true);
    expect(paths.has('storage.config.dataDir')).toBe(true);
    expect(paths.has('storage.config.url')).toBe(true);
  });

  it('has a row for every key path of the schema', () => {
    const missing = [...paths.keys()].filter((p) => !p.endsWith('[]') && rowsFor(p).length === 0);
    expect(missing).toEqual([]);
  });

  it('documents every key with its description', () => {
    const undocumented = [...paths]
      .filter(([, d]) => d !== undefined)
      .filter(([p, d]) => !rowsFor(p).some((line) => line.includes(cell(d ?? ''))))
      .map(([p]) => p);
    expect(undocumented).toEqual([]);
  });

  it('renders types, defaults and variants', () => {
    expect(rowsFor('issuer')[0]).toBe(
      "| `issuer` | string (URL) | required | The issuer URL, exactly as kube-apiserver gets it in `--oidc-issuer-url`. Must be https (kube-apiserver refuses http). It may have a path, as Dex's usually does (`https://auth.example.com/dex`): then discovery, every endpoint, page, asset and cookie live under that path, and requests outside it get 404 (health and metrics stay at the root). No trailing slash, query, fragment, `//` or `..`. |",
    );
    expect(rowsFor('storage.type')[0]).toContain('`postgres` \\| `pglite`');
    expect(rowsFor('storage.config.url')[0]).toContain('*(type: postgres)*');
    expect(rowsFor('storage.config.dataDir')[0]).toContain('| `./.sigil` | *(type: pglite)*');
    expect(rowsFor('connectors[].type')[0]).toContain('`ldap`');
    expect(rowsFor('connectors[].config.host')[0]).toContain('| required | *(type: ldap)*');
    expect(rowsFor('web.maxRequestBytes')[0]).toContain('| integer (1024–10485760) | `65536` |');
    expect(rowsFor('staticClients[].redirectURIs')[0]).toContain('| list of string (URL) | `[]` |');
    expect(rowsFor('connectors[].config.groupSearch.userMatchers')[0]).toContain(
      'list of objects (at least 1)',
    );
    // A `|` inside a cell is escaped, so that the table keeps four columns.
    expect(rowsFor('web.http')[0]).toContain('\\]\\|[A-Za-z0-9.-]');
    for (const line of rowLines) expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(6);
  });

  it('says how secrets and environment variables are given', () => {
    expect(output).toContain('`<key>File: /path/to/file`');
    for (const key of ['secret', 'bindPW', 'password', 'url', 'hash'])
      expect(output).toContain(`\`${key}\``);
    expect(output).toContain('`${ENV_VAR}`');
  });

  it('is deterministic', () => {
    expect(renderConfigReference(configSchema)).toBe(output);
  });
});

describe('configRows on a small schema', () => {
  it('handles nesting, lists, unions, nullable and required keys', () => {
    const schema = z
      .object({
        name: z.string().min(2).meta({ description: 'The name.' }),
        tags: z.array(z.string()).default([]),
        limits: z.object({ max: z.number().int().max(9).default(3) }).optional(),
        backend: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('a'), a: z.boolean() }),
          z.object({ kind: z.literal('b'), b: z.string().nullable().optional() }),
        ]),
      })
      .strict()
      .superRefine(() => undefined);
    expect(configRows(schema)).toEqual([
      {
        key: 'name',
        type: 'string (at least 2 characters)',
        default: 'required',
        description: 'The name.',
      },
      { key: 'tags', type: 'list of string', default: '`[]`', description: '' },
      { key: 'limits', type: 'object', default: '—', description: '' },
      { key: 'limits.max', type: 'integer (…–9)', default: '`3`', description: '' },
      { key: 'backend', type: 'one of, by `kind`', default: 'required', description: '' },
      {
        key: 'backend.kind',
        type: '`a` | `b`',
        default: 'required',
        description: 'Selects the variant of `backend`.',
      },
      { key: 'backend.a', type: 'boolean', default: 'required', description: '*(kind: a)*' },
      { key: 'backend.b', type: 'string or null', default: '—', description: '*(kind: b)*' },
    ]);
  });
});

describe('configRows with shared schemas', () => {
  it('follows $ref into $defs', () => {
    const id = `docs-test-duration-${String(Date.now())}`;
    const duration = z.string().meta({ id, description: 'A duration.' });
    const rows = configRows(z.object({ a: duration, b: z.object({ c: duration.optional() }) }));
    expect(rows.map((r) => [r.key, r.type, r.default, r.description])).toEqual([
      ['a', 'string', 'required', 'A duration.'],
      ['b', 'object', 'required', ''],
      ['b.c', 'string', '—', 'A duration.'],
    ]);
  });
});
