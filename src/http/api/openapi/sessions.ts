import { ADMIN_SECURITY, json, pageOf, problems, ref, type OpenApiPart } from './common.js';

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const strings = { type: 'array', items: str };

export const queryParam = (name: string, description: string, schema: object = str) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

export const pageParams = [
  queryParam('limit', 'Items per page, 1 to 500 (default 100).', {
    type: 'integer',
    minimum: 1,
    maximum: 500,
  }),
  queryParam('cursor', 'The `next` of the previous page.'),
];

const sessionIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The session id: the `sid` claim of the login’s id_tokens.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' },
};

export const sessionsApi: OpenApiPart = {
  tag: {
    name: 'sessions',
    description:
      'Every login (browser, kubelogin, device flow, password grant) is a session: its refresh-token family and what identifies it. Ending one makes its next refresh `invalid_grant` on every replica.',
  },
  paths: {
    '/sessions': {
      get: {
        operationId: 'listSessions',
        tags: ['sessions'],
        summary: 'List sessions, most recently used first',
        security: ADMIN_SECURITY,
        parameters: [
          queryParam('user', 'Username as typed at login (case-insensitive).'),
          queryParam('sub', 'The person’s stable subject.'),
          queryParam('client', 'Client id.'),
          queryParam('active', '`false` includes ended and expired sessions.', {
            type: 'string',
            enum: ['true', 'false'],
          }),
          ...pageParams,
        ],
        responses: {
          '200': json('A page of sessions', ref('SessionPage')),
          ...problems('bad-request', 'unauthenticated', 'forbidden'),
        },
      },
    },
    '/sessions/{id}': {
      get: {
        operationId: 'getSession',
        tags: ['sessions'],
        summary: 'One session (ended ones too)',
        security: ADMIN_SECURITY,
        parameters: [sessionIdParam],
        responses: {
          '200': json('The session', ref('Session')),
          ...problems('unauthenticated', 'forbidden', 'not-found'),
        },
      },
      delete: {
        operationId: 'revokeSession',
        tags: ['sessions'],
        summary: 'End one session',
        description:
          'Its tokens stop working at once (the next refresh is `invalid_grant`); audited as `session.revoked`. An unknown, expired or already ended session is a 404.',
        security: ADMIN_SECURITY,
        parameters: [sessionIdParam],
        responses: {
          '200': json('What was ended', ref('Ended')),
          ...problems('unauthenticated', 'forbidden', 'not-found'),
        },
      },
    },
    '/sessions/revoke': {
      post: {
        operationId: 'revokeSessionsOfUser',
        tags: ['sessions'],
        summary: 'Offboard: end every session of a person (or of one of their clients)',
        description:
          'Without `client`: every refresh-token family, browser session and approved device code of the person. Name the person by `user` (as typed at login) or `sub`.',
        security: ADMIN_SECURITY,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('RevokeRequest') } },
        },
        responses: {
          '200': json('What was ended', ref('UserEnded')),
          ...problems(
            'bad-request',
            'unauthenticated',
            'forbidden',
            'not-found',
            'payload-too-large',
            'unsupported-media-type',
          ),
        },
      },
    },
  },
  schemas: {
    Session: {
      type: 'object',
      required: [
        'id',
        'user',
        'sub',
        'connector',
        'client',
        'audiences',
        'grantType',
        'device',
        'created',
        'lastUsed',
        'expires',
        'active',
      ],
      properties: {
        id: { ...str, description: 'The session id (`sid` claim).' },
        user: { ...str, description: 'Username as typed at login.' },
        sub: str,
        connector: str,
        client: str,
        audiences: { ...strings, description: 'The client and the peers its tokens reach.' },
        grantType: { ...str, examples: ['authorization_code', 'device_code', 'password'] },
        amr: strings,
        device: { ...str, examples: ['Chrome on macOS', 'kubelogin', 'curl'] },
        userAgent: str,
        ipFirst: { ...str, description: 'Address at login.' },
        ipLast: { ...str, description: 'Address at the last use.' },
        created: time,
        lastUsed: time,
        idleExpires: time,
        expires: time,
        active: { type: 'boolean' },
        ended: time,
        endReason: str,
        endedBy: {
          type: 'object',
          properties: { kind: str, id: str },
          additionalProperties: true,
        },
      },
      additionalProperties: false,
    },
    SessionPage: pageOf('Session'),
    Ended: {
      type: 'object',
      required: ['ended', 'browserSessions', 'deviceCodes'],
      properties: {
        ended: { type: 'array', items: ref('Session') },
        browserSessions: { type: 'integer', minimum: 0 },
        deviceCodes: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    },
    UserEnded: {
      type: 'object',
      required: ['subs', 'ended', 'browserSessions', 'deviceCodes'],
      properties: {
        subs: { ...strings, description: 'The people the request named.' },
        ended: { type: 'array', items: ref('Session') },
        browserSessions: { type: 'integer', minimum: 0 },
        deviceCodes: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    },
    RevokeRequest: {
      type: 'object',
      properties: {
        user: { ...str, maxLength: 256 },
        sub: { ...str, maxLength: 256 },
        client: { ...str, maxLength: 200 },
        reason: { type: 'string', pattern: '^[a-z0-9_.-]{1,64}$', default: 'offboarded' },
      },
      additionalProperties: false,
      description: 'Exactly one of `user` and `sub`.',
    },
  },
};
