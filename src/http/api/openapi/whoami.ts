import { json, problems, ref, type OpenApiPart } from './common.js';

export const whoamiApi: OpenApiPart = {
  tag: { name: 'principal', description: 'Who the API takes the caller for.' },
  paths: {
    '/whoami': {
      get: {
        operationId: 'whoami',
        tags: ['principal'],
        summary: 'The caller as the API resolved its bearer token',
        description:
          'Any valid bearer token: a person’s access token (any client), a client credentials token. Useful to check a token before an admin call.',
        security: [{ bearer: [] }],
        responses: {
          '200': json('The principal', ref('Principal')),
          ...problems('unauthenticated'),
        },
      },
    },
  },
  schemas: {
    Principal: {
      oneOf: [
        {
          type: 'object',
          required: ['kind', 'sub', 'username', 'clientId', 'scopes', 'admin'],
          properties: {
            kind: { const: 'person' },
            sub: { type: 'string' },
            username: { type: 'string' },
            clientId: { type: 'string' },
            scopes: { type: 'array', items: { type: 'string' } },
            admin: { type: 'boolean', description: 'Whether admin calls would be allowed.' },
          },
          additionalProperties: false,
        },
        {
          type: 'object',
          required: ['kind', 'clientId', 'scopes', 'admin'],
          properties: {
            kind: { const: 'client' },
            clientId: { type: 'string' },
            scopes: { type: 'array', items: { type: 'string' } },
            admin: { type: 'boolean' },
          },
          additionalProperties: false,
        },
        {
          type: 'object',
          required: ['kind', 'name'],
          properties: { kind: { const: 'cluster' }, name: { type: 'string' } },
          additionalProperties: false,
        },
      ],
    },
  },
};
