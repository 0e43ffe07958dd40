import { z } from 'zod';

/** Multi-factor login (`mfa`): who must pass a second factor, and whether they may enroll at login. */

/**
 * The `acr` values sigil issues: a password alone, or a password and a second factor. Here
 * because security/ (the policy) and kube/ (the API server's rule) both name them.
 */
export const ACR_PWD = 'urn:sigil:pwd';
export const ACR_MFA = 'urn:sigil:mfa';

const groupOrClient = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .regex(/^[^\u0000-\u001f]*$/, 'no control characters');

const required = z
  .union([
    z.enum(['none', 'all']),
    z
      .object({
        groups: z.array(groupOrClient).default([]).meta({
          description:
            'Directory groups (as the connector returns them, before any prefix) whose members must pass a second factor.',
        }),
        clients: z.array(groupOrClient).default([]).meta({
          description: 'Client ids whose logins always need a second factor.',
        }),
      })
      .strict(),
  ])
  .default('none')
  .meta({
    description:
      'Who must pass a second factor at login: `none`, `all`, or `{groups: [...], clients: [...]}`. A person who has enrolled a factor is always asked for it; `clusters[].requireMFA` and a client sending `acr_values=urn:sigil:mfa` add to this.',
  });

export const mfa = z
  .object({
    required,
    enrollment: z.enum(['atLogin', 'preEnrolledOnly']).default('atLogin').meta({
      description:
        '`atLogin`: a person who must pass a second factor and has none enrolls one right there (an authenticator app or a passkey). `preEnrolledOnly`: such a person is refused until they have one (set up on /home/security before the requirement applied to them); `sigil mfa reset` then locks them out until an administrator helps.',
    }),
  })
  .strict();

export type MfaConfig = z.output<typeof mfa>;
