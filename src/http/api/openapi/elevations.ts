import { json, pageOf, problems, ref, type OpenApiPart } from './common.js';
import { pageParams, queryParam } from './sessions.js';

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const actor = {
  type: 'object',
  required: ['kind', 'id'],
  properties: { kind: str, id: str },
  additionalProperties: false,
};

/** A person's own access token (any scope), issued by this sigil through any client. */
const PERSON = [{ bearer: [] }];

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The elevation id (`el_` and 22 base64url characters).',
  schema: { type: 'string' },
};

const commentBody = {
  required: false,
  content: { 'application/json': { schema: ref('ElevationComment') } },
};

const decision = (op: 'approve' | 'deny', summary: string, description: string) => ({
  post: {
    operationId: `${op}Elevation`,
    tags: ['elevations'],
    summary,
    description,
    security: PERSON,
    parameters: [idParam],
    requestBody: commentBody,
    responses: {
      '200': json('The decided request', ref('Elevation')),
      ...problems(
        'bad-request',
        'unauthenticated',
        'forbidden',
        'not-found',
        'conflict',
        'unsupported-media-type',
      ),
    },
  },
});

export const elevationsApi: OpenApiPart = {
  tag: {
    name: 'elevations',
    description:
      'Just-in-time elevation (docs/elevation.md): a person asks for a role (a group their id_tokens carry for a bounded time) with a reason; an approver approves or denies; the grant ends at its end or earlier. Every refusal is a problem with a machine-readable `reason` and is audited (`elevation.refused`); nothing is granted.',
  },
  paths: {
    '/elevations': {
      get: {
        operationId: 'listElevations',
        tags: ['elevations'],
        summary: 'List elevation requests, newest first',
        description:
          'One’s own requests; approvers (of any role) and admins see everyone’s. `user` narrows the list, it never widens it.',
        security: PERSON,
        parameters: [
          queryParam('state', 'Only requests in this state.', {
            type: 'string',
            enum: ['pending', 'active', 'denied', 'expired', 'ended'],
          }),
          queryParam('user', 'Username as typed at login (case-insensitive).'),
          ...pageParams,
        ],
        responses: {
          '200': json('A page of elevation requests', ref('ElevationPage')),
          ...problems('bad-request', 'unauthenticated', 'forbidden'),
        },
      },
      post: {
        operationId: 'requestElevation',
        tags: ['elevations'],
        summary: 'Ask for a role',
        description:
          'With the person’s own access token. A role with `approval: self` is approved at once (`active`) when its second-factor rule is met: the access token must come from a login that passed a second factor within `elevation.freshFactor`. Refusals (`reason`): `unknown_role` 404, `not_eligible` 403, `bad_duration` 400 (Go syntax `30m`, or seconds; more than 0, at most the role’s maxDuration), `bad_reason` 400 (1 to 500 characters), `mfa_required` 403.',
        security: PERSON,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('ElevationRequest') } },
        },
        responses: {
          '201': json('The request (`pending`, or `active` when self-approved)', ref('Elevation')),
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
    '/elevations/roles': {
      get: {
        operationId: 'listElevationRoles',
        tags: ['elevations'],
        summary: 'The roles the caller may ask for',
        security: PERSON,
        responses: {
          '200': json('Roles', {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('ElevationRole') } },
            additionalProperties: false,
          }),
          ...problems('unauthenticated', 'forbidden'),
        },
      },
    },
    '/elevations/{id}': {
      get: {
        operationId: 'getElevation',
        tags: ['elevations'],
        summary: 'One elevation request (its requester, an approver of its role, an admin)',
        security: PERSON,
        parameters: [idParam],
        responses: {
          '200': json('The request', ref('Elevation')),
          ...problems('unauthenticated', 'forbidden', 'not-found'),
        },
      },
    },
    '/elevations/{id}/approve': decision(
      'approve',
      'Approve a pending request',
      'With an approver’s own access token (a member of one of the role’s approver groups, never the requester). The grant starts now and lasts the requested duration. Refusals: `own_request` 403, `not_approver` 403, `not_found` 404, `not_pending` 409 (decided already, also by another replica), `request_expired` 409.',
    ),
    '/elevations/{id}/deny': decision(
      'deny',
      'Deny a pending request',
      'As approve; the request becomes `denied`.',
    ),
    '/elevations/{id}/end': {
      post: {
        operationId: 'endElevation',
        tags: ['elevations'],
        summary: 'End a grant early, or withdraw one’s pending request',
        description:
          'The requester, an approver of the role or an admin (a person, or an admin client with the admin scope). The logins whose id_tokens carried the group get deny entries (their tokens issued before now are refused where the revocation rules are deployed); their next refresh no longer carries the group. Refusal: `not_active` 409.',
        security: PERSON,
        parameters: [idParam],
        requestBody: commentBody,
        responses: {
          '200': json('The ended request', ref('Elevation')),
          ...problems(
            'bad-request',
            'unauthenticated',
            'forbidden',
            'not-found',
            'conflict',
            'unsupported-media-type',
          ),
        },
      },
    },
  },
  schemas: {
    Elevation: {
      type: 'object',
      required: [
        'id',
        'state',
        'user',
        'sub',
        'role',
        'group',
        'clusters',
        'reason',
        'durationSec',
        'requested',
        'pendingUntil',
      ],
      properties: {
        id: { ...str, pattern: '^el_[A-Za-z0-9_-]{22}$' },
        state: { type: 'string', enum: ['pending', 'active', 'denied', 'expired', 'ended'] },
        user: { ...str, description: 'The requester’s username.' },
        sub: str,
        role: str,
        group: { ...str, description: 'The group the id_tokens carry while the grant is active.' },
        clusters: { type: 'array', items: str },
        reason: str,
        durationSec: { type: 'integer', minimum: 1 },
        requested: time,
        pendingUntil: { ...time, description: 'A pending request expires here.' },
        decided: time,
        decidedBy: actor,
        comment: str,
        starts: time,
        ends: time,
        ended: time,
        endedBy: actor,
      },
      additionalProperties: false,
    },
    ElevationPage: pageOf('Elevation'),
    ElevationRole: {
      type: 'object',
      required: [
        'name',
        'group',
        'maxDurationSec',
        'approval',
        'approverGroups',
        'requireMFA',
        'clusters',
      ],
      properties: {
        name: str,
        group: str,
        maxDurationSec: { type: 'integer', minimum: 1 },
        approval: { type: 'string', enum: ['self', 'approvers'] },
        approverGroups: { type: 'array', items: str },
        requireMFA: { type: 'boolean' },
        clusters: { type: 'array', items: str },
      },
      additionalProperties: false,
    },
    ElevationRequest: {
      type: 'object',
      required: ['role', 'duration', 'reason'],
      properties: {
        role: str,
        duration: {
          oneOf: [
            { type: 'string', examples: ['30m', '1h'] },
            { type: 'integer', minimum: 1 },
          ],
          description: 'Go duration syntax, or seconds.',
        },
        reason: { type: 'string', minLength: 1, maxLength: 500 },
      },
      additionalProperties: false,
    },
    ElevationComment: {
      type: 'object',
      properties: { comment: { type: 'string', maxLength: 500 } },
      additionalProperties: false,
    },
  },
};
