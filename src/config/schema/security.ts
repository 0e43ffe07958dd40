import { z } from 'zod';
import { duration } from './common.js';

/** Brute-force protection (`throttle`), the audit trail (`audit`) and rules for every client (`access`). */

const throttleRule = (maxFailures: number, who: string) =>
  z
    .object({
      maxFailures: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .default(maxFailures)
        .meta({
          description: `Failed logins per ${who} within \`window\` that trigger a lockout.`,
        }),
      window: duration('15m', 'Failures older than this no longer count.'),
      lockout: duration('15m', `How long the ${who} is refused after \`maxFailures\` failures.`),
    })
    .strict()
    .prefault({});

export const throttle = z
  .object({
    enabled: z.boolean().default(true).meta({
      description: 'Throttle and lock out failed logins (login page, device flow, password grant).',
    }),
    username: throttleRule(10, 'username'),
    ip: throttleRule(100, 'client IP'),
    backoff: z
      .object({
        after: z.number().int().min(1).max(1000).default(3).meta({
          description: 'Failures of one username before exponential back-off starts.',
        }),
        initial: duration(
          '1s',
          'First back-off: the next attempt for that username is refused until this long after the last failure; it doubles with each further failure. `0s` turns back-off off.',
        ),
        max: duration('1m', 'Longest back-off.'),
      })
      .strict()
      .prefault({})
      .meta({
        description:
          'Exponential back-off per username before the lockout: attempts that come too soon are refused at once, without checking the password.',
      }),
  })
  .strict();

export const audit = z
  .object({
    retention: duration('2160h', 'How long audit events are kept (default 90 days).'),
  })
  .strict();

export const access = z
  .object({
    reservedPrefixes: z.array(z.string().min(1)).default(['system:']).meta({
      description:
        'Names that must never reach a cluster: a login whose username starts with one of these is refused, and directory groups that start with one are dropped from every token (both audited). `system:` is what Kubernetes reserves for itself.',
    }),
    maxGroups: z.number().int().min(1).max(10_000).default(250).meta({
      description:
        'Most groups a `groups` claim may carry (per client: `staticClients[].maxGroups`). More is refused with a clear error.',
    }),
  })
  .strict();
