import { ADMIN_SECURITY, json, pageOf, problems, ref, type OpenApiPart } from './common.js';
import { pageParams, queryParam } from './sessions.js';

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
  },
};
