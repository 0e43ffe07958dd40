import { ADMIN_SECURITY, json, pageOf, problems, ref, type OpenApiPart } from './common.js';
import { pageParams, queryParam } from './sessions.js';

const subParam = {
  name: 'sub',
  in: 'path',
  required: true,
  description: 'The person’s stable subject (the `sub` of their id_tokens), URL-encoded.',
  schema: { type: 'string', minLength: 1, maxLength: 256 },
};

export const usersApi: OpenApiPart = {
  tag: { name: 'users', description: 'The people sigil has seen log in.' },
  paths: {
    '/users': {
      get: {
        operationId: 'listUsers',
        tags: ['users'],
        summary: 'People sigil has seen, by subject',
        security: ADMIN_SECURITY,
        parameters: [queryParam('user', 'Username (case-insensitive).'), ...pageParams],
        responses: {
          '200': json('A page of people', ref('UserPage')),
          ...problems('bad-request', 'unauthenticated', 'forbidden'),
        },
      },
    },
    '/users/{sub}/mfa': {
      parameters: [subParam],
      get: {
        operationId: 'getUserMfa',
        tags: ['users'],
        summary: 'A person’s second factors (never a secret)',
        security: ADMIN_SECURITY,
        responses: {
          '200': json('Their factors and recovery codes left', ref('UserMfa')),
          ...problems('unauthenticated', 'forbidden', 'not-found'),
        },
      },
      delete: {
        operationId: 'resetUserMfa',
        tags: ['users'],
        summary: 'Forget every second factor and recovery code of a person (a lost phone)',
        description:
          'The same reset as `sigil mfa reset`, audited as `mfa.reset` with the caller as the actor. Under `mfa.enrollment: atLogin` the person enrolls again at their next login; under `preEnrolledOnly` they are refused until they have one.',
        security: ADMIN_SECURITY,
        responses: {
          '200': json('What was removed', ref('UserMfaReset')),
          ...problems('unauthenticated', 'forbidden', 'not-found'),
        },
      },
    },
  },
  schemas: {
    User: {
      type: 'object',
      required: ['sub', 'username', 'connector'],
      properties: {
        sub: { type: 'string' },
        username: { type: 'string' },
        connector: { type: 'string' },
        lastLogin: { type: 'string', format: 'date-time' },
      },
      additionalProperties: false,
    },
    UserPage: pageOf('User'),
    MfaFactor: {
      type: 'object',
      required: ['id', 'kind', 'name', 'createdAt'],
      properties: {
        id: { type: 'string' },
        kind: { type: 'string', enum: ['totp', 'webauthn'] },
        name: { type: 'string' },
        createdAt: { type: 'string', format: 'date-time' },
        lastUsedAt: { type: 'string', format: 'date-time' },
      },
      additionalProperties: false,
    },
    UserMfa: {
      type: 'object',
      required: ['sub', 'username', 'connector', 'factors', 'recoveryCodesLeft'],
      properties: {
        sub: { type: 'string' },
        username: { type: 'string' },
        connector: { type: 'string' },
        factors: { type: 'array', items: ref('MfaFactor') },
        recoveryCodesLeft: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    },
    UserMfaReset: {
      type: 'object',
      required: ['sub', 'username', 'removed'],
      properties: {
        sub: { type: 'string' },
        username: { type: 'string' },
        removed: {
          type: 'object',
          required: ['factors', 'recoveryCodes'],
          properties: {
            factors: { type: 'integer', minimum: 0 },
            recoveryCodes: { type: 'integer', minimum: 0 },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
  },
};
