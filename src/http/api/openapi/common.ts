import { PROBLEMS, PROBLEM_TYPE_PREFIX, type ProblemSlug } from '../problem.js';

/** An OpenAPI 3.1 fragment, as plain JSON (JSON Schema 2020-12 for the schemas). */
export type OpenApiObject = Readonly<Record<string, unknown>>;

/** What one resource file contributes: its paths and its component schemas. */
export interface OpenApiPart {
  readonly tag: { readonly name: string; readonly description: string };
  readonly paths: OpenApiObject;
  readonly schemas: OpenApiObject;
}

export const ref = (schema: string): OpenApiObject => ({ $ref: `#/components/schemas/${schema}` });

/** A JSON answer of `schema`. */
export function json(description: string, schema: OpenApiObject): OpenApiObject {
  return { description, content: { 'application/json': { schema } } };
}

/** The problem answers a call can give, by slug. */
export function problems(...slugs: ProblemSlug[]): Record<string, OpenApiObject> {
  const out: Record<string, OpenApiObject> = {};
  for (const slug of slugs)
    out[String(PROBLEMS[slug].status)] = { $ref: `#/components/responses/${slug}` };
  return out;
}

/** The shared component responses, one per problem slug. */
export function problemResponses(): Record<string, OpenApiObject> {
  return Object.fromEntries(
    Object.entries(PROBLEMS).map(([slug, p]) => [
      slug,
      {
        description: `${p.title} (\`${PROBLEM_TYPE_PREFIX}${slug}\`)`,
        content: { 'application/problem+json': { schema: ref('Problem') } },
      },
    ]),
  );
}

/** RFC 9457 problem details as the API writes them. */
export const problemSchema: OpenApiObject = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', pattern: `^${PROBLEM_TYPE_PREFIX}[a-z-]+$` },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    reason: {
      type: 'string',
      description:
        'Why a request was refused, machine-readable (elevations: `not_eligible`, `bad_duration`, `own_request`, …; docs/elevation.md).',
    },
  },
  additionalProperties: false,
};

/** A page of a list: `items` and, when there is more, the `next` cursor to ask for. */
export function pageOf(item: string): OpenApiObject {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      items: { type: 'array', items: ref(item) },
      next: {
        type: 'string',
        description: 'Pass as `cursor` to get the next page; absent on the last page.',
      },
    },
    additionalProperties: false,
  };
}

/** The admin calls: a bearer token with the admin scope. */
export const ADMIN_SECURITY = [{ bearer: ['sigil:admin'] }];
