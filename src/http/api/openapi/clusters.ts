/** OpenAPI 3.1 of /api/v1/clusters (merged in openapi/index.ts). */
const problem = { $ref: '#/components/schemas/Problem' } as const;
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } },
});

const entry = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'createdAt', 'keepUntil'],
  properties: {
    kind: { enum: ['session', 'subject', 'window'] },
    sid: { type: 'string', description: 'session: the `sid` claim whose tokens are refused' },
    sub: { type: 'string', description: 'subject (and session, when known): the person' },
    notBefore: {
      type: 'string',
      format: 'date-time',
      description: 'subject: tokens issued before are refused',
    },
    iatFrom: { type: 'string', format: 'date-time' },
    iatUntil: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    keepUntil: {
      type: 'string',
      format: 'date-time',
      description: 'after this no token the entry targets can still be valid: prune it',
    },
  },
} as const;

export const clustersOpenApi = {
  paths: {
    '/api/v1/clusters/{name}/authentication-config': {
      get: {
        operationId: 'getClusterAuthenticationConfig',
        summary: "A cluster's AuthenticationConfiguration with the current deny rules",
        description:
          "For the cluster's sync agent (`sigil kube sync`): authenticated with the cluster's `syncSecret` as a bearer token. JSON is an envelope with the configuration and the live deny entries; `Accept: application/yaml` gives the file kube-apiserver reads. Send `If-None-Match` with the last ETag to get 304 when nothing changed.",
        security: [{ clusterSyncSecret: [] }],
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'The configuration',
            headers: { ETag: { schema: { type: 'string' } } },
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/ClusterAuthenticationConfig' },
              },
              'application/yaml': { schema: { type: 'string' } },
            },
          },
          '304': { description: 'Unchanged since the ETag sent' },
          '400': problemResponse('The cluster name is not valid'),
          '401': problemResponse('No valid sync secret'),
          '403': problemResponse("Another cluster's sync secret"),
          '404': problemResponse('No such cluster'),
          '405': problemResponse('Not GET'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      clusterSyncSecret: {
        type: 'http',
        scheme: 'bearer',
        description: "A cluster's `clusters[].syncSecret`; valid only for that cluster's paths.",
      },
    },
    schemas: {
      ClusterAuthenticationConfig: {
        type: 'object',
        additionalProperties: false,
        required: [
          'apiVersion',
          'kind',
          'cluster',
          'issuer',
          'generatedAt',
          'authenticationConfiguration',
          'revocations',
          'summary',
        ],
        properties: {
          apiVersion: { const: 'sigil.dev/v1' },
          kind: { const: 'ClusterAuthenticationConfig' },
          cluster: { type: 'string' },
          issuer: { type: 'string' },
          generatedAt: { type: 'string', format: 'date-time' },
          authenticationConfiguration: {
            type: 'object',
            required: ['apiVersion', 'kind', 'jwt'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { const: 'AuthenticationConfiguration' },
              jwt: { type: 'array', items: { type: 'object' } },
            },
          },
          revocations: { type: 'array', items: entry },
          summary: {
            type: 'object',
            additionalProperties: false,
            required: ['entries', 'sessions', 'subjects', 'windows'],
            properties: {
              entries: { type: 'integer', minimum: 0 },
              sessions: { type: 'integer', minimum: 0 },
              subjects: { type: 'integer', minimum: 0 },
              windows: { type: 'integer', minimum: 0 },
              cutoff: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
  },
} as const;
