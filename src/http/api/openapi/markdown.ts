import { PROBLEMS, PROBLEM_TYPE_PREFIX } from '../problem.js';
import type { OpenApiObject } from './common.js';

/**
 * docs/api.md, generated from the OpenAPI document (`npm run docs`; a test fails when they
 * drift): the calls per resource, their parameters, answers and the problem types.
 */
type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<
    string,
    { $ref?: string; description?: string; content?: Record<string, { schema: { $ref?: string } }> }
  >;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const schemaName = (s: { $ref?: string } | undefined): string | undefined =>
  s?.$ref?.split('/').pop();

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function operationLines(method: string, path: string, op: Operation): string[] {
  const lines = [`### \`${method.toUpperCase()} /api/v1${path}\``, ''];
  if (op.summary !== undefined) lines.push(`${op.summary}.`, '');
  if (op.description !== undefined) lines.push(op.description, '');
  const scopes = (op.security ?? []).flatMap((s) => Object.values(s).flat());
  lines.push(
    scopes.length > 0
      ? `Needs a bearer token with ${scopes.map((s) => `\`${s}\``).join(', ')}.`
      : 'Needs any valid bearer token.',
    '',
  );
  if (op.parameters !== undefined && op.parameters.length > 0) {
    lines.push('| parameter | in | description |', '| --- | --- | --- |');
    for (const p of op.parameters)
      lines.push(
        `| \`${p.name}\`${p.required === true ? ' (required)' : ''} | ${p.in} | ${cell(p.description ?? '')} |`,
      );
    lines.push('');
  }
  const body = schemaName(op.requestBody?.content['application/json']?.schema);
  if (body !== undefined) lines.push(`Body: [\`${body}\`](#${body.toLowerCase()}) (JSON).`, '');
  lines.push('| status | answer |', '| --- | --- |');
  for (const [status, r] of Object.entries(op.responses)) {
    const problem = r.$ref?.split('/').pop();
    if (problem !== undefined) {
      lines.push(`| ${status} | problem \`${PROBLEM_TYPE_PREFIX}${problem}\` |`);
      continue;
    }
    const name = schemaName(r.content?.['application/json']?.schema);
    lines.push(
      `| ${status} | ${cell(r.description ?? '')}${name === undefined ? '' : ` ([\`${name}\`](#${name.toLowerCase()}))`} |`,
    );
  }
  lines.push('');
  return lines;
}

function schemaLines(name: string, schema: OpenApiObject): string[] {
  const lines = [`### ${name}`, ''];
  const props = schema['properties'] as
    | Record<
        string,
        { type?: unknown; description?: string; $ref?: string; items?: { $ref?: string } }
      >
    | undefined;
  const description = schema['description'];
  if (typeof description === 'string') lines.push(description, '');
  if (props === undefined) {
    lines.push('See the OpenAPI document.', '');
    return lines;
  }
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  lines.push('| field | type | description |', '| --- | --- | --- |');
  for (const [field, p] of Object.entries(props)) {
    const type =
      schemaName(p) ??
      (p.items?.$ref === undefined ? undefined : `${schemaName(p.items)}[]`) ??
      (Array.isArray(p.type)
        ? p.type.join(' or ')
        : typeof p.type === 'string'
          ? p.type
          : 'object');
    lines.push(
      `| \`${field}\`${required.has(field) ? '' : ' (optional)'} | ${type} | ${cell(p.description ?? '')} |`,
    );
  }
  lines.push('');
  return lines;
}

export function renderApiReference(doc: OpenApiObject): string {
  const info = doc['info'] as { title: string; description: string };
  const tags = doc['tags'] as { name: string; description: string }[];
  const paths = doc['paths'] as Record<string, Record<string, Operation>>;
  const schemas = (doc['components'] as { schemas: Record<string, OpenApiObject> }).schemas;
  const lines = [
    '# Admin API reference',
    '',
    '<!-- Generated from the OpenAPI document (src/http/api/openapi/) by `npm run docs`; do not edit. -->',
    '',
    info.description,
    '',
    'The document itself is served at `/api/v1/openapi.json` (OpenAPI 3.1). The guide to sessions, offboarding and getting an admin token is [sessions.md](sessions.md).',
    '',
  ];
  for (const tag of tags) {
    lines.push(`## ${tag.name}`, '', tag.description, '');
    for (const [path, item] of Object.entries(paths))
      for (const m of METHODS) {
        const op = item[m];
        if (op?.tags?.includes(tag.name) === true) lines.push(...operationLines(m, path, op));
      }
  }
  lines.push(
    '## Problems',
    '',
    'Every error is an RFC 9457 `application/problem+json` document `{type, title, status, detail}`; `type` is stable, `detail` is for people.',
    '',
  );
  lines.push('| type | status | title |', '| --- | --- | --- |');
  for (const [slug, p] of Object.entries(PROBLEMS))
    lines.push(`| \`${PROBLEM_TYPE_PREFIX}${slug}\` | ${String(p.status)} | ${p.title} |`);
  lines.push('', '## Schemas', '');
  for (const [name, schema] of Object.entries(schemas)) lines.push(...schemaLines(name, schema));
  return `${lines.join('\n').trimEnd()}\n`;
}
