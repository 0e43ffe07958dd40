import { ADMIN_SECURITY, json, problems, ref, type OpenApiPart } from './common.js';

const maybeTime = { type: ['string', 'null'], format: 'date-time' };
const jsonBody = (schema: object) => ({
  required: false,
  content: { 'application/json': { schema } },
});

export const keysApi: OpenApiPart = {
  tag: {
    name: 'keys',
    description: 'Signing keys (next → active → retired), as `sigil keys` handles them.',
  },
  paths: {
    '/keys': {
      get: {
        operationId: 'listKeys',
        tags: ['keys'],
        summary: 'Every signing key and its state',
        security: ADMIN_SECURITY,
        responses: {
          '200': json('The keys', {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('SigningKey') } },
            additionalProperties: false,
          }),
          ...problems('unauthenticated', 'forbidden'),
        },
      },
    },
    '/keys/rotate': {
      post: {
        operationId: 'rotateKeys',
        tags: ['keys'],
        summary: 'Rotate when due, or at once with `now`',
        security: ADMIN_SECURITY,
        requestBody: jsonBody({
          type: 'object',
          properties: { now: { type: 'boolean', default: false } },
          additionalProperties: false,
        }),
        responses: {
          '200': json('What rotated', ref('Rotation')),
          ...problems('bad-request', 'unauthenticated', 'forbidden', 'unsupported-media-type'),
        },
      },
    },
    '/keys/{kid}/revoke': {
      post: {
        operationId: 'revokeKey',
        tags: ['keys'],
        summary: 'Revoke a key: out of the JWKS, its refresh tokens ended',
        security: ADMIN_SECURITY,
        parameters: [{ name: 'kid', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: jsonBody({ type: 'object', additionalProperties: false }),
        responses: {
          '200': json('What the revocation did', ref('KeyRevocation')),
          ...problems('bad-request', 'unauthenticated', 'forbidden', 'not-found'),
        },
      },
    },
  },
  schemas: {
    SigningKey: {
      type: 'object',
      required: ['kid', 'alg', 'state', 'encrypted', 'published', 'created'],
      properties: {
        kid: { type: 'string' },
        alg: { type: 'string' },
        state: { type: 'string', enum: ['next', 'active', 'retired', 'revoked'] },
        encrypted: { type: 'boolean' },
        published: { type: 'boolean' },
        created: { type: 'string', format: 'date-time' },
        activated: maybeTime,
        retired: maybeTime,
        removeAfter: maybeTime,
      },
      additionalProperties: false,
    },
    Rotation: {
      type: 'object',
      required: ['rotated', 'created', 'removed'],
      properties: {
        rotated: { type: 'boolean' },
        activated: { type: 'string' },
        retired: { type: 'string' },
        created: { type: 'array', items: { type: 'string' } },
        removed: { type: 'array', items: { type: 'string' } },
        dueInSeconds: { type: 'integer' },
      },
      additionalProperties: false,
    },
    KeyRevocation: {
      type: 'object',
      required: ['kid', 'previousState', 'grantsRevoked', 'sessionsEnded'],
      properties: {
        kid: { type: 'string' },
        previousState: { type: 'string' },
        activated: { type: 'string' },
        grantsRevoked: { type: 'integer' },
        sessionsEnded: { type: 'integer' },
      },
      additionalProperties: false,
    },
  },
};
