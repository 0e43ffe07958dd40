import { z } from 'zod';
import { duplicates, duration, durationMs } from './common.js';

/** Just-in-time elevation (`elevation`): roles a person may ask for, for a bounded time. */

const MAX_ROLE_DURATION_MS = 24 * 3_600_000;

const groupName = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');

const approval = z
  .union([
    z.literal('self'),
    z
      .object({
        approvers: z.array(groupName).min(1).meta({
          description:
            'Directory groups whose members may approve or deny a request for this role (never their own).',
        }),
      })
      .strict(),
  ])
  .meta({
    description:
      '`self`: the requester approves their own request (with a fresh second factor when `requireMFA`); `{approvers: [groups]}`: a member of one of these groups must approve, never the requester.',
  });

export const elevationRole = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and -')
      .meta({ description: 'Role name, as people ask for it (`cluster-admin`).' }),
    group: groupName.meta({
      description:
        "The group the id_token carries while a grant lasts (bind it to a ClusterRole with RBAC). Goes through each client's groups claim rules (prefix, filter) like a directory group.",
    }),
    eligible: z.array(groupName).min(1).meta({
      description: 'Directory groups whose members may ask for this role.',
    }),
    maxDuration: durationMs.prefault('1h').meta({
      description:
        'The longest grant one may ask for (at most 24h). Go duration syntax (`30m`, `1h`).',
    }),
    approval,
    requireMFA: z.boolean().default(true).meta({
      description:
        'Tokens carry the group only from a login that passed a second factor (acr `urn:sigil:mfa`); a self approval needs a fresh second factor (`elevation.freshFactor`).',
    }),
    clusters: z.array(z.string().min(1)).default([]).meta({
      description:
        'Names of `clusters` whose tokens (their clientID and loginClientID) carry the group. Empty: the id_tokens of every client.',
    }),
  })
  .strict();

export const elevation = z
  .object({
    roles: z.array(elevationRole).default([]).meta({
      description: 'Roles people may ask for (docs/elevation.md). None: the feature is off.',
    }),
    pendingTimeout: duration(
      '1h',
      'A request nobody approved or denied in this time expires (refused when approved later).',
    ),
    freshFactor: duration(
      '5m',
      'How recent the second factor of a self approval must be: a code typed on /home/access, or for the API the start of the login (with a second factor) that the access token comes from.',
    ),
  })
  .strict();

type Issue = { path: (string | number)[]; message: string };

/** Cross-field rules of `elevation` (unique names, known clusters, bounded durations). */
export function elevationIssues(c: {
  elevation: z.output<typeof elevation>;
  clusters: readonly { name: string }[];
}): Issue[] {
  const out: Issue[] = [];
  const roles = c.elevation.roles;
  for (const i of duplicates(roles.map((r) => r.name)))
    out.push({ path: ['elevation', 'roles', i, 'name'], message: 'duplicate role name' });
  roles.forEach((r, i) => {
    if (r.maxDuration <= 0 || r.maxDuration > MAX_ROLE_DURATION_MS)
      out.push({
        path: ['elevation', 'roles', i, 'maxDuration'],
        message: 'must be more than 0 and at most 24h',
      });
    r.clusters.forEach((name, j) => {
      if (!c.clusters.some((x) => x.name === name))
        out.push({
          path: ['elevation', 'roles', i, 'clusters', j],
          message: 'names no clusters entry',
        });
    });
  });
  if (c.elevation.pendingTimeout <= 0)
    out.push({ path: ['elevation', 'pendingTimeout'], message: 'must be more than 0' });
  return out;
}

export type ElevationConfig = z.output<typeof elevation>;
export type ElevationRoleConfig = z.output<typeof elevationRole>;
