import { json, problems, ref, type OpenApiPart } from './common.js';

const time = { type: 'string', format: 'date-time' } as const;

/** GET /clusters/{name}/authentication-config (issue 15): the sync agent's call. */
export const clustersApi: OpenApiPart = {
  tag: {
    name: 'clusters',
    description:
      "What a cluster's API server reads: its AuthenticationConfiguration with the deny rules for revoked logins.",
  },
  paths: {
    '/clusters/{name}/authentication-config': {
      get: {
        operationId: 'getClusterAuthenticationConfig',
        tags: ['clusters'],
        summary: "A cluster's AuthenticationConfiguration with the current deny rules",
        description:
          "For the cluster's sync agent (`sigil kube sync`). The bearer token is the cluster's `clusters[].syncSecret`, valid for this cluster's paths only (no admin scope). JSON is an envelope with the configuration and the live deny entries (with `keepUntil`, so the agent can prune them while sigil is unreachable); `Accept: application/yaml` gives the file kube-apiserver reads. Send `If-None-Match` with the last ETag to get 304 when nothing changed. Each configuration served is audited (`cluster.config.served`).",
        security: [{ bearer: [] }],
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            ...json('The configuration', ref('ClusterAuthenticationConfig')),
            headers: { ETag: { schema: { type: 'string' } } },
            content: {
              'application/json': { schema: ref('ClusterAuthenticationConfig') },
              'application/yaml': { schema: { type: 'string' } },
            },
          },
          '304': { description: 'Unchanged since the ETag sent' },
          ...problems('unauthenticated', 'forbidden', 'not-found'),
        },
      },
    },
  },
  schemas: {
    DenyEntry: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'createdAt', 'keepUntil'],
      properties: {
        kind: { enum: ['session', 'subject', 'window'] },
        sid: { type: 'string', description: 'session: the `sid` claim whose tokens are refused' },
        sub: { type: 'string', description: 'subject (and a session, when known): the person' },
        notBefore: { ...time, description: 'subject: tokens issued before are refused' },
        iatFrom: { ...time, description: 'window: tokens issued from …' },
        iatUntil: { ...time, description: '… until (excluded) are refused' },
        createdAt: time,
        keepUntil: { ...time, description: 'no token it targets is valid after this: prune it' },
      },
    },
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
        generatedAt: time,
        authenticationConfiguration: {
          type: 'object',
          description: 'apiserver.config.k8s.io AuthenticationConfiguration, as the file holds it',
          required: ['apiVersion', 'kind', 'jwt'],
          properties: {
            apiVersion: { enum: ['apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1'] },
            kind: { const: 'AuthenticationConfiguration' },
            jwt: { type: 'array', minItems: 1, items: { type: 'object' } },
          },
        },
        revocations: { type: 'array', items: ref('DenyEntry') },
        summary: {
          type: 'object',
          additionalProperties: false,
          required: ['entries', 'sessions', 'subjects', 'windows'],
          properties: {
            entries: { type: 'integer', minimum: 0 },
            sessions: { type: 'integer', minimum: 0 },
            subjects: { type: 'integer', minimum: 0 },
            windows: { type: 'integer', minimum: 0 },
            cutoff: {
              ...time,
              description: 'set when not every entry fit: tokens issued before are all refused',
            },
          },
        },
      },
    },
  },
};
