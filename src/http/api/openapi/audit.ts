import { ADMIN_SECURITY, json, pageOf, problems, ref, type OpenApiPart } from './common.js';
import { pageParams, queryParam } from './sessions.js';

const time = { type: 'string', format: 'date-time' };

export const auditApi: OpenApiPart = {
  tag: { name: 'audit', description: 'The audit trail, with the filters of `sigil audit`.' },
  paths: {
    '/audit': {
      get: {
        operationId: 'queryAudit',
        tags: ['audit'],
        summary: 'Audit events, newest first',
        security: ADMIN_SECURITY,
        parameters: [
          queryParam('user', 'Username (case-insensitive).'),
          queryParam('client', 'Client id.'),
          queryParam('event', 'Event name, or a prefix ending in `.` or `*` (`session.*`).'),
          queryParam('outcome', 'Outcome.', {
            type: 'string',
            enum: ['success', 'failure', 'locked', 'denied'],
          }),
          queryParam('since', 'Events at or after this RFC 3339 time.', time),
          queryParam('until', 'Events before this RFC 3339 time.', time),
          ...pageParams,
        ],
        responses: {
          '200': json('A page of events', ref('AuditPage')),
          ...problems('bad-request', 'unauthenticated', 'forbidden'),
        },
      },
    },
  },
  schemas: {
    AuditEvent: {
      type: 'object',
      required: ['id', 'at', 'event', 'outcome', 'details'],
      properties: {
        id: { type: 'string' },
        at: time,
        event: { type: 'string' },
        outcome: { type: 'string', enum: ['success', 'failure', 'locked', 'denied'] },
        username: { type: 'string' },
        sub: { type: 'string' },
        clientId: { type: 'string' },
        ip: { type: 'string' },
        reason: { type: 'string' },
        details: {
          type: 'object',
          description: '`actor` ({kind, id}) says who acted.',
          additionalProperties: true,
        },
      },
      additionalProperties: false,
    },
    AuditPage: pageOf('AuditEvent'),
  },
};
