import { z } from 'zod';
import { durationMs } from './common.js';
import { adminFilterProblem } from './ldap-filter.js';

/**
 * The LDAP connector's configuration: Dex's keys and shape (a Dex user can paste their
 * `config:` block), plus sigil's additions, each marked "sigil:" in its description.
 */
/** LDAP timeouts: a duration longer than zero. */
const positiveDuration = durationMs.refine((ms) => ms > 0, { error: 'must be longer than 0s' });

const scope = z
  .enum(['sub', 'one'])
  .default('sub')
  .meta({ description: 'Search scope: `sub` (whole subtree, default) or `one` (one level).' });

/**
 * Dex's meaning: the attribute of a *parent* group that lists the child group's DN. Before
 * issue 17 sigil read it as an attribute of the child (`DN`); that value is refused with the
 * change explained, so a config written for the old reading does not silently lose groups.
 */
export const RECURSION_DN_MESSAGE =
  "recursionGroupAttr now means what it means in Dex: the attribute of a parent group that lists the child group's DN (usually `member`, the same as groupAttr). `DN` was sigil's earlier reading; write the parent's member attribute instead, e.g. `recursionGroupAttr: member`";

const recursionGroupAttr = z
  .string()
  .min(1)
  .refine((v) => v.toLowerCase() !== 'dn', { error: RECURSION_DN_MESSAGE })
  .meta({
    description:
      "Nested groups, as in Dex: the attribute of a *parent* group that lists the child group's DN (e.g. `member`). The parents of each group found are searched with `(<recursionGroupAttr>=<group DN>)`, level by level; cycles end the walk.",
  });

export const userMatcherSchema = z
  .object({
    userAttr: z
      .string()
      .min(1)
      .meta({ description: 'Attribute of the user entry, e.g. `DN` or `uid`.' }),
    groupAttr: z.string().min(1).meta({
      description:
        'Attribute of the group entry that holds `userAttr`, e.g. `member` or `memberUid`.',
    }),
    recursionGroupAttr: recursionGroupAttr.optional(),
  })
  .strict();

/**
 * What a refresh does while the directory cannot be reached: `failClosed` (503
 * temporarily_unavailable, the grant kept) or `{lastKnown: <duration>}`.
 */
export const outagePolicySchema = z
  .union([
    z.literal('failClosed'),
    z
      .object({
        lastKnown: positiveDuration.meta({
          description:
            'How long after the last successful directory check of a person a refresh may still reissue tokens with their last-known identity and groups.',
        }),
      })
      .strict(),
  ])
  .default('failClosed')
  .meta({
    description:
      'sigil: while the directory is unreachable, `failClosed` (default) answers refreshes with 503 `temporarily_unavailable` and keeps the grant; `{lastKnown: 4h}` lets a refresh reissue tokens with the last-known identity and groups for at most that long since the last successful check of that person (audited `refresh.degraded`). Fresh logins always fail closed; an account seen disabled or deleted is never revived.',
  });

export type OutagePolicy = z.output<typeof outagePolicySchema>;

export const ldapConfigSchema = z
  .object({
    host: z.string().min(1).meta({
      description:
        'host:port of the directory. sigil: a comma-separated list (`ldap1:636,ldap2:636`) is tried in order, failing over when a host does not answer. Default port 636, or 389 with `insecureNoSSL` or `startTLS`.',
    }),
    insecureNoSSL: z.boolean().default(false).meta({
      description:
        'Plain-text LDAP with no TLS. Passwords cross the network in the clear: tests only.',
    }),
    insecureSkipVerify: z
      .boolean()
      .default(false)
      .meta({ description: 'Do not verify the server certificate. Never in production.' }),
    startTLS: z.boolean().default(false).meta({
      description: 'Connect with plain LDAP, then upgrade with StartTLS (port 389 by default).',
    }),
    rootCA: z
      .string()
      .optional()
      .meta({ description: 'Path to a PEM file of CA certificates to trust.' }),
    rootCAData: z
      .string()
      .optional()
      .meta({ description: 'Base64-encoded PEM CA certificates to trust (instead of `rootCA`).' }),
    clientCert: z
      .string()
      .optional()
      .meta({ description: 'Path to a PEM client certificate (mutual TLS).' }),
    clientKey: z.string().optional().meta({ description: 'Path to the PEM key of `clientCert`.' }),
    bindDN: z
      .string()
      .optional()
      .meta({ description: 'DN of the service account used to search. Empty: anonymous search.' }),
    bindPW: z
      .string()
      .optional()
      .meta({ description: 'Password of `bindDN`. Also `bindPWFile` or `${ENV}`.' }),
    subjectFormat: z.enum(['sigil', 'dex']).default('sigil').meta({
      description:
        "sigil: what `sub` is. `sigil`: the user's stable id (`userSearch.idAttr`) as it is. `dex`: byte for byte the `sub` Dex issued for the same person through a connector of the same `id` (base64url of a protobuf of the id and the connector id), so Kubernetes usernames taken from `sub` and RBAC bindings keep working after a switch from Dex (docs/dex-import.md). Needs the `id` and `idAttr` the Dex connector had.",
    }),
    usernamePrompt: z
      .string()
      .default('Username')
      .meta({ description: 'Label of the username field on the login page.' }),
    connectTimeout: positiveDuration
      .prefault('5s')
      .meta({ description: 'sigil: timeout to open a connection to one host.' }),
    timeout: positiveDuration
      .prefault('10s')
      .meta({ description: 'sigil: timeout of one LDAP operation.' }),
    poolSize: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .meta({ description: 'sigil: service-account connections kept open and reused.' }),
    userSearch: z
      .object({
        baseDN: z
          .string()
          .min(1)
          .meta({ description: 'Where users are searched, e.g. `ou=People,dc=example,dc=org`.' }),
        filter: z.string().optional().meta({
          description: 'Extra filter every user must match, e.g. `(objectClass=person)`.',
        }),
        scope,
        username: z.string().min(1).meta({
          description:
            'Attribute the typed username is compared with, e.g. `uid` or `sAMAccountName`.',
        }),
        idAttr: z.string().default('entryUUID').meta({
          description:
            'Immutable attribute that becomes `sub` (`entryUUID`, `objectGUID`, `nsUniqueId`, `ipaUniqueID`). Binary values are base64url-encoded; `objectGUID` is formatted as a GUID. Never the DN.',
        }),
        emailAttr: z
          .string()
          .default('mail')
          .meta({ description: 'Attribute holding the email address.' }),
        nameAttr: z
          .string()
          .default('cn')
          .meta({ description: 'Attribute holding the display name.' }),
        preferredUsernameAttr: z.string().optional().meta({
          description:
            'Attribute for `preferred_username` (default: the typed username attribute).',
        }),
        emailSuffix: z.string().optional().meta({
          description: 'When the entry has no email: `<username>@<emailSuffix>` is used instead.',
        }),
        emailVerifiedAttr: z.string().optional().meta({
          description:
            'sigil: attribute whose value (TRUE/true/1/yes) says the email is verified. Dex hard-codes true.',
        }),
        emailVerified: z.boolean().default(true).meta({
          description:
            'sigil: `email_verified` when `emailVerifiedAttr` is not set or not present on the entry.',
        }),
      })
      .strict(),
    groupSearch: z
      .object({
        baseDN: z.string().min(1).meta({ description: 'Where groups are searched.' }),
        filter: z.string().optional().meta({
          description: 'Extra filter every group must match, e.g. `(objectClass=groupOfNames)`.',
        }),
        scope,
        userMatchers: z.array(userMatcherSchema).min(1).optional().meta({
          description:
            'How a user is matched to a group; every matcher is tried and the results merged.',
        }),
        userAttr: z
          .string()
          .optional()
          .meta({ description: 'Dex legacy: same as one userMatcher.' }),
        groupAttr: z
          .string()
          .optional()
          .meta({ description: 'Dex legacy: same as one userMatcher.' }),
        recursionGroupAttr: recursionGroupAttr
          .optional()
          .meta({ description: 'Dex legacy: the `recursionGroupAttr` of that one userMatcher.' }),
        nameAttr: z
          .string()
          .default('cn')
          .meta({ description: 'Attribute of the group that becomes its name in `groups`.' }),
        activeDirectoryNested: z.boolean().default(false).meta({
          description:
            'sigil: fetch nested groups server-side on Active Directory with LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941) on `member`.',
        }),
        pageSize: z
          .number()
          .int()
          .min(1)
          .max(10000)
          .default(500)
          .meta({ description: 'sigil: simple paged results page size for group searches.' }),
        maxDepth: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(16)
          .meta({ description: 'sigil: deepest nesting followed by recursive group search.' }),
      })
      .strict()
      .optional(),
    groupCacheTTL: durationMs.prefault('60s').meta({
      description:
        'sigil: how long the group graph (group → parent groups) is cached in memory, per connector. The user entry and direct memberships are read on every login and refresh, so a removed member or a disabled account is seen at once; a change to nesting shows after at most this long. `0s` turns the cache off. Go duration syntax (`10m`, `24h`).',
    }),
    outagePolicy: outagePolicySchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    // Cross-field rules, one row each: validated here once; the connector trusts them.
    const g = c.groupSearch;
    const rows: [bad: boolean, path: string[], message: string][] = [
      [c.host.split(',').every((part) => part.trim() === ''), ['host'], 'no host given'],
      [
        c.insecureNoSSL && c.startTLS,
        ['startTLS'],
        'insecureNoSSL and startTLS cannot both be set',
      ],
      [
        c.rootCA !== undefined && c.rootCAData !== undefined,
        ['rootCAData'],
        'set rootCA or rootCAData, not both',
      ],
      [
        (c.clientCert === undefined) !== (c.clientKey === undefined),
        ['clientKey'],
        'clientCert and clientKey go together',
      ],
      [
        c.bindDN !== undefined && c.bindDN !== '' && (c.bindPW === undefined || c.bindPW === ''),
        ['bindPW'],
        'a bindDN needs a password (an empty password is an anonymous bind)',
      ],
      [
        g !== undefined &&
          g.userMatchers === undefined &&
          (g.userAttr === undefined || g.groupAttr === undefined),
        ['groupSearch', 'userMatchers'],
        'set userMatchers (or the legacy userAttr and groupAttr)',
      ],
      [
        c.subjectFormat === 'dex' && c.userSearch.idAttr.toLowerCase() === 'objectguid',
        ['subjectFormat'],
        'subjectFormat dex needs a text idAttr: Dex put objectGUID into sub as raw bytes, which sigil cannot reproduce (keep subjectFormat sigil for this connector)',
      ],
    ];
    for (const [bad, path, message] of rows)
      if (bad) ctx.addIssue({ code: 'custom', path, message });
    const filters: [string | undefined, string[]][] = [
      [c.userSearch.filter, ['userSearch', 'filter']],
      [g?.filter, ['groupSearch', 'filter']],
    ];
    for (const [text, path] of filters) {
      const problem = text === undefined ? undefined : adminFilterProblem(text);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path, message: problem });
    }
  });

export type LdapConfigInput = z.input<typeof ldapConfigSchema>;
export type LdapConfig = z.output<typeof ldapConfigSchema>;
