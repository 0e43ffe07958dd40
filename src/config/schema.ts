import { z } from 'zod';
import { ldapConfigSchema } from '../connectors/ldap/config.js';
import { clusterIssues, clusterSchema } from './clusters.js';
import { parseDuration } from './duration.js';
import { isValidGroupPattern } from '../security/group-pattern.js';

/**
 * sigil's configuration file, one zod schema. Every key carries its documentation in
 * `.meta({ description })`; docs/config.md and the README's reference are generated from it
 * (`npm run docs`). Where Dex has the same concept, the key has Dex's name and shape.
 */

const duration = (fallback: string, description: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => parseDuration(v) !== undefined, {
      error: 'not a duration (e.g. 10m, 24h, 90s)',
    })
    .meta({ description: `${description} Go duration syntax (\`10m\`, \`24h\`).` });

const optionalDuration = (description: string) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || parseDuration(v) !== undefined, {
      error: 'not a duration (e.g. 10m, 24h, 90s)',
    })
    .meta({ description: `${description} Go duration syntax (\`10m\`, \`24h\`).` });

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:5556');

const postgresConfig = z
  .object({
    url: z.string().optional().meta({
      description:
        'Connection URL `postgres://user:pass@host:5432/db?sslmode=require`. Also `urlFile`, `${ENV}` or the DATABASE_URL environment variable.',
    }),
    host: z.string().optional().meta({ description: 'Dex style: server host (instead of `url`).' }),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .meta({ description: 'Dex style: server port.' }),
    database: z.string().optional().meta({ description: 'Dex style: database name.' }),
    user: z.string().optional().meta({ description: 'Dex style: user name.' }),
    password: z
      .string()
      .optional()
      .meta({ description: 'Dex style: password. Also `passwordFile` or `${ENV}`.' }),
    ssl: z
      .object({
        mode: z
          .enum(['disable', 'require', 'verify-ca', 'verify-full'])
          .default('disable')
          .meta({ description: 'TLS to the database.' }),
        caFile: z.string().optional().meta({ description: 'CA bundle to verify the server with.' }),
      })
      .strict()
      .optional()
      .meta({ description: 'Dex style: TLS settings.' }),
    maxOpenConns: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(10)
      .meta({ description: 'Pool size per replica.' }),
    connectionTimeout: duration('5s', 'Time to wait for a connection.'),
    statementTimeout: duration('10s', 'Longest a single statement may run.'),
  })
  .strict();

const storage = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('postgres'),
        config: postgresConfig.default({
          maxOpenConns: 10,
          connectionTimeout: '5s',
          statementTimeout: '10s',
        }),
      })
      .strict(),
    z
      .object({
        type: z.literal('pglite'),
        config: z
          .object({
            dataDir: z.string().default('./.sigil').meta({
              description: 'Directory of the embedded database. Locked: one process at a time.',
            }),
          })
          .strict()
          .default({ dataDir: './.sigil' }),
      })
      .strict(),
  ])
  .meta({
    description:
      '`postgres` for production (N replicas share one database), or `pglite`, an embedded PostgreSQL in `dataDir` for one process. Default: DATABASE_URL when set, else pglite in `./.sigil`.',
  });

const web = z
  .object({
    http: hostPort.optional().meta({
      description: 'Plain-HTTP listen address, e.g. `0.0.0.0:5556` (behind a TLS proxy).',
    }),
    https: hostPort
      .optional()
      .meta({ description: 'HTTPS listen address; needs `tlsCert` and `tlsKey`.' }),
    tlsCert: z
      .string()
      .optional()
      .meta({ description: 'PEM certificate chain file; reloaded when it changes.' }),
    tlsKey: z
      .string()
      .optional()
      .meta({ description: 'PEM private key file; reloaded when it changes.' }),
    tlsCA: z.string().optional().meta({
      description:
        'PEM file of the CA that signed `tlsCert`, given to kube-apiserver (`--oidc-ca-file`).',
    }),
    proxy: z.boolean().default(false).meta({
      description: 'Trust X-Forwarded-For/-Proto from a TLS-terminating proxy in front of sigil.',
    }),
    maxRequestBytes: z.number().int().min(1024).max(10_485_760).default(65_536).meta({
      description: 'Largest request body accepted (bytes); larger gets 413.',
    }),
    proxyHops: z.number().int().min(1).max(10).default(1).meta({
      description:
        'With `proxy: true`: how many proxies in front of sigil append to X-Forwarded-For. The client address (for login throttling and the audit trail) is the entry this many from the right; entries further left are client-supplied and ignored.',
    }),
  })
  .strict();

const groupPattern = z.string().min(1).max(512).refine(isValidGroupPattern, {
  error: 'not a valid pattern: a glob (`team-*`) or a regular expression between slashes',
});

const staticClient = z
  .object({
    id: z
      .string()
      .min(1)
      .max(200)
      .meta({ description: 'client_id; also the `aud` of its id_tokens.' }),
    secret: z.string().min(1).optional().meta({
      description: 'client_secret of a confidential client. Also `secretFile` or `${ENV}`.',
    }),
    name: z.string().optional().meta({ description: 'Display name on the consent page.' }),
    redirectURIs: z.array(z.url()).default([]).meta({
      description:
        'Allowed redirect URIs. A public client with none accepts loopback redirects on any port (http://localhost and http://127.0.0.1), as in Dex.',
    }),
    public: z
      .boolean()
      .default(false)
      .meta({ description: 'A public client (no secret, PKCE S256 required), such as kubelogin.' }),
    skipApprovalScreen: z.boolean().optional().meta({
      description: 'Skip the consent page for this client (default: `oauth2.skipApprovalScreen`).',
    }),
    refreshTokens: z.boolean().default(true).meta({
      description:
        'Issue refresh tokens to this client even without `offline_access` (kubelogin never asks for it).',
    }),
    idTokenTTL: z
      .string()
      .optional()
      .refine((v) => v === undefined || parseDuration(v) !== undefined, {
        error: 'not a duration',
      })
      .meta({ description: "Lifetime of this client's id_tokens (default `expiry.idTokens`)." }),
    trustedPeers: z.array(z.string().min(1).max(200)).default([]).meta({
      description:
        "Clients that may ask for id_tokens this client accepts too (Dex's cross-client trust): a listed client requesting the scope `audience:server:client_id:<this id>` gets an id_token with both ids in `aud` (and itself as `azp`). This is how one kubelogin client gets a token for each cluster's own audience (`clusters[].loginClientID`).",
    }),
    passwordGrant: z.boolean().default(false).meta({
      description:
        'Allow the resource owner password grant for this client (CI jobs, `kubelogin --grant-type=password`). Off by default; passwords go through the same connector and throttling as the login page.',
    }),
    postLogoutRedirectURIs: z
      .array(z.url())
      .default([])
      .meta({ description: 'Where RP-initiated logout may return to.' }),
    allowedGroups: z.array(z.string().min(1)).min(1).optional().meta({
      description:
        "Only members of at least one of these directory groups may use this client: checked at login (others get access_denied and a page saying so) and again at every refresh (invalid_grant). Compared with the user's directory groups before `groupFilter`.",
    }),
    groupFilter: z
      .object({
        include: z.array(groupPattern).optional().meta({
          description:
            'Keep only groups matching one of these patterns: globs (`team-*`) or regular expressions between slashes (`/^k8s-/`).',
        }),
        exclude: z
          .array(groupPattern)
          .default([])
          .meta({ description: 'Drop groups matching one of these patterns (after `include`).' }),
        prefix: z.string().max(128).default('').meta({
          description:
            "Prepended to every group in this client's tokens (e.g. `corp:`), like kube-apiserver's `--oidc-groups-prefix`.",
        }),
      })
      .strict()
      .optional()
      .meta({ description: "Which directory groups go into this client's `groups` claim." }),
    maxGroups: z.number().int().min(1).max(10_000).optional().meta({
      description:
        "Most groups this client's tokens may carry (default `access.maxGroups`). A user with more (after `groupFilter`) is refused with a clear error instead of getting a token an API server or proxy rejects.",
    }),
  })
  .strict();

const staticPassword = z
  .object({
    email: z
      .string()
      .min(3)
      .meta({ description: 'Email address; also accepted as the login name.' }),
    hash: z.string().min(1).meta({
      description:
        'bcrypt (`$2a$`, `$2b$`, `$2y$`) or argon2id (`$argon2id$`) hash of the password. Also `hashFile`.',
    }),
    username: z.string().min(1).meta({ description: 'Login name and `preferred_username`.' }),
    userID: z.string().min(1).meta({ description: 'Stable id: becomes `sub`.' }),
    name: z.string().optional().meta({ description: 'Display name (default: username).' }),
    groups: z
      .array(z.string())
      .default([])
      .meta({ description: 'Groups in the id_token (sigil addition).' }),
  })
  .strict();

const connector = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('ldap'),
      id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _'),
      name: z.string().min(1),
      config: ldapConfigSchema,
    })
    .strict(),
]);

const expiry = z
  .object({
    idTokens: duration('10m', 'Lifetime of id_tokens and access tokens.'),
    authRequests: duration('10m', 'Time a person has to finish logging in.'),
    deviceRequests: duration('10m', 'Lifetime of a device code.'),
    sessions: duration('24h', 'Lifetime of the browser session at sigil.'),
    signingKeys: optionalDuration('Dex name of `keys.rotationPeriod`.'),
    refreshTokens: z
      .object({
        reuseInterval: duration(
          '5s',
          'Grace window in which a just-rotated refresh token still works (a retried request).',
        ),
        validIfNotUsedFor: duration(
          '168h',
          'A refresh token unused this long expires (idle lifetime).',
        ),
        absoluteLifetime: duration(
          '720h',
          'Longest a chain of refresh tokens lives after the login.',
        ),
      })
      .strict()
      .default({ reuseInterval: '5s', validIfNotUsedFor: '168h', absoluteLifetime: '720h' }),
  })
  .strict();

const signingAlgorithm = z.enum(['RS256', 'ES256', 'EdDSA']);

const keys = z
  .object({
    algorithm: signingAlgorithm.default('RS256').meta({
      description:
        "Algorithm of new signing keys: RS256 (RSA 2048, kube-apiserver's default), ES256 or EdDSA (only when every verifier accepts it, e.g. `--oidc-signing-algs`). A change takes effect at the next rotation.",
    }),
    rotationPeriod: optionalDuration(
      'How long a key signs before the published next key takes over (default `24h`). Dex calls it `expiry.signingKeys`, also accepted.',
    ),
    leadTime: duration(
      '1h',
      'How long a new key is published in the JWKS before it may sign; also the longest JWKS `Cache-Control` max-age, so a verifier that caches the JWKS knows every key before it signs.',
    ),
    encryptionSecret: z.string().min(16).optional().meta({
      description:
        'Secret that encrypts private keys at rest (AES-256-GCM; at least 16 characters, better 32 random bytes). Also `encryptionSecretFile` or `${ENV}`. Without it private keys are stored in plaintext. Change it with `sigil keys reencrypt`.',
    }),
  })
  .strict();

const oauth2 = z
  .object({
    skipApprovalScreen: z.boolean().default(true).meta({
      description: 'Skip the consent page for configured (first-party) clients.',
    }),
    passwordConnector: z.string().optional().meta({
      description: 'Connector id used by the password grant (default: the first).',
    }),
  })
  .strict();

const logger = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    format: z.enum(['json', 'text', 'auto']).default('auto').meta({
      description: '`json` lines, `text` (pretty), or `auto`: pretty when stdout is a terminal.',
    }),
  })
  .strict();

const frontend = z
  .object({
    issuer: z.string().min(1).max(80).default('sigil').meta({
      description:
        'Display name on every page and in page titles (Dex `frontend.issuer`), e.g. `ACME Kubernetes`.',
    }),
    logoFile: z.string().optional().meta({
      description:
        'Logo image (PNG, SVG, JPEG, WebP or GIF, at most 256 KiB) shown above each page. Read once at start and served by sigil at `/assets/logo`: no external assets (Dex has `logoURL`).',
    }),
    theme: z.enum(['light', 'dark', 'auto']).default('auto').meta({
      description: "`light`, `dark`, or `auto`: follow the browser's colour-scheme preference.",
    }),
    primaryColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'expected a #rrggbb colour')
      .optional()
      .meta({
        description:
          'Accent colour (`#rrggbb`) of buttons, links and the logo mark. Shades are adjusted where needed so that text keeps a 4.5:1 contrast in light and dark pages.',
      }),
  })
  .strict();

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
    .strict();

const throttle = z
  .object({
    enabled: z.boolean().default(true).meta({
      description: 'Throttle and lock out failed logins (login page, device flow, password grant).',
    }),
    username: throttleRule(10, 'username').default({
      maxFailures: 10,
      window: '15m',
      lockout: '15m',
    }),
    ip: throttleRule(100, 'client IP').default({ maxFailures: 100, window: '15m', lockout: '15m' }),
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
      .default({ after: 3, initial: '1s', max: '1m' })
      .meta({
        description:
          'Exponential back-off per username before the lockout: attempts that come too soon are refused at once, without checking the password.',
      }),
  })
  .strict();

const audit = z
  .object({
    retention: duration('2160h', 'How long audit events are kept (default 90 days).'),
  })
  .strict();

const access = z
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

const telemetry = z
  .object({
    http: hostPort.optional().meta({
      description:
        'Listen address of the telemetry listener (`/metrics`, `/healthz`, `/readyz`), e.g. `0.0.0.0:5558` (Dex). Unset: `/metrics` is served on the main listener.',
    }),
  })
  .strict();

export const configSchema = z
  .object({
    issuer: z.url().meta({
      description:
        'The issuer URL, exactly as kube-apiserver gets it in `--oidc-issuer-url`. Must be https (kube-apiserver refuses http).',
    }),
    storage: storage.optional(),
    web: web.default({ proxy: false, maxRequestBytes: 65_536, proxyHops: 1 }),
    logger: logger.default({ level: 'info', format: 'auto' }),
    expiry: expiry.default({
      idTokens: '10m',
      authRequests: '10m',
      deviceRequests: '10m',
      sessions: '24h',
      refreshTokens: { reuseInterval: '5s', validIfNotUsedFor: '168h', absoluteLifetime: '720h' },
    }),
    oauth2: oauth2.default({ skipApprovalScreen: true }),
    keys: keys.default({ algorithm: 'RS256', leadTime: '1h' }),
    staticClients: z.array(staticClient).default([]),
    connectors: z.array(connector).default([]),
    enablePasswordDB: z.boolean().default(false).meta({
      description: 'Enable the local users of `staticPasswords` (connector id `local`).',
    }),
    staticPasswords: z.array(staticPassword).default([]),
    clusters: z.array(clusterSchema).default([]).meta({
      description:
        'Kubernetes clusters that trust sigil: `sigil kube apiserver-config` and `sigil kube kubeconfig` render their wiring, and /home offers their kubeconfigs.',
    }),
    frontend: frontend.default({ issuer: 'sigil', theme: 'auto' }).meta({
      description: 'Branding of the pages: name, logo, theme and colour (Dex `frontend`).',
    }),
    telemetry: telemetry.default({}).meta({
      description: 'Prometheus metrics and health on a separate listener (Dex `telemetry`).',
    }),
    throttle: throttle
      .default({
        enabled: true,
        username: { maxFailures: 10, window: '15m', lockout: '15m' },
        ip: { maxFailures: 100, window: '15m', lockout: '15m' },
        backoff: { after: 3, initial: '1s', max: '1m' },
      })
      .meta({
        description:
          'Brute-force protection, stored in the database so it holds across replicas. A refused attempt looks exactly like a wrong password; the audit trail says `locked`.',
      }),
    audit: audit.default({ retention: '2160h' }).meta({
      description:
        'The audit trail (`audit_events` table and a JSON log line per event; `sigil audit` queries it).',
    }),
    access: access.default({ reservedPrefixes: ['system:'], maxGroups: 250 }).meta({
      description: 'Rules for every client: reserved name prefixes and the groups claim cap.',
    }),
    dev: z.boolean().default(false).meta({
      description:
        'Development mode (set by zero-config start): generated TLS, demo user and client. Never in production.',
    }),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Cross-field rules, one row each (Dex's Validate table): every failing row is reported.
    const rows: [bad: boolean, path: (string | number)[], message: string][] = [
      [
        URL.canParse(c.issuer) && !c.issuer.startsWith('https://') && !c.dev,
        ['issuer'],
        'must be https: kube-apiserver refuses http issuers',
      ],
      [
        URL.canParse(c.issuer) && (new URL(c.issuer).pathname !== '/' || c.issuer.endsWith('/')),
        ['issuer'],
        'must be an origin without a path or trailing slash (https://sigil.example.com); serving under a path is not supported yet',
      ],
      [c.web.http === undefined && c.web.https === undefined, ['web'], 'set web.http or web.https'],
      [
        c.web.https !== undefined && (c.web.tlsCert === undefined || c.web.tlsKey === undefined),
        ['web', 'https'],
        'web.https needs web.tlsCert and web.tlsKey',
      ],
      [
        c.web.http !== undefined && !c.web.proxy && !c.dev && c.web.https === undefined,
        ['web', 'http'],
        'plain http without web.proxy: true serves an https issuer over http; put a TLS proxy in front and set web.proxy',
      ],
      [
        c.telemetry.http !== undefined &&
          (c.telemetry.http === c.web.http || c.telemetry.http === c.web.https),
        ['telemetry', 'http'],
        'must be another address than web.http and web.https',
      ],
      [
        c.connectors.length === 0 && !c.enablePasswordDB,
        ['connectors'],
        'no way to log in: add a connector or enablePasswordDB with staticPasswords',
      ],
      [
        c.enablePasswordDB && c.staticPasswords.length === 0,
        ['staticPasswords'],
        'enablePasswordDB is set but staticPasswords is empty',
      ],
      [
        c.staticClients.length === 0,
        ['staticClients'],
        'no clients: add at least one staticClients entry',
      ],
      [
        c.keys.rotationPeriod !== undefined &&
          c.expiry.signingKeys !== undefined &&
          parseDuration(c.keys.rotationPeriod) !== parseDuration(c.expiry.signingKeys),
        ['keys', 'rotationPeriod'],
        'keys.rotationPeriod and expiry.signingKeys (its Dex name) disagree: set one',
      ],
    ];
    for (const [bad, path, message] of rows)
      if (bad) ctx.addIssue({ code: 'custom', path, message });
    duplicates(c.staticClients.map((x) => x.id)).forEach((i) => {
      ctx.addIssue({
        code: 'custom',
        path: ['staticClients', i, 'id'],
        message: 'duplicate client id',
      });
    });
    duplicates([
      ...c.connectors.map((x) => x.id),
      ...(c.enablePasswordDB ? ['local'] : []),
    ]).forEach((i) => {
      ctx.addIssue({
        code: 'custom',
        path: ['connectors', i, 'id'],
        message: 'duplicate connector id (`local` is the password DB)',
      });
    });
    c.staticClients.forEach((cl, i) => {
      if (!cl.public && cl.secret === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['staticClients', i, 'secret'],
          message: 'a confidential client needs a secret (or set public: true)',
        });
      cl.trustedPeers.forEach((peer, j) => {
        if (!c.staticClients.some((x) => x.id === peer))
          ctx.addIssue({
            code: 'custom',
            path: ['staticClients', i, 'trustedPeers', j],
            message: 'names no staticClients id',
          });
      });
      if (!cl.public && cl.redirectURIs.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['staticClients', i, 'redirectURIs'],
          message: 'a confidential client needs redirectURIs',
        });
    });
    for (const issue of clusterIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
    if (c.oauth2.passwordConnector !== undefined) {
      const ids = [...c.connectors.map((x) => x.id), ...(c.enablePasswordDB ? ['local'] : [])];
      if (!ids.includes(c.oauth2.passwordConnector))
        ctx.addIssue({
          code: 'custom',
          path: ['oauth2', 'passwordConnector'],
          message: 'names no connector',
        });
    }
  });

function duplicates(values: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) out.push(i);
    seen.add(v);
  });
  return out;
}

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type StaticClientConfig = Config['staticClients'][number];
export type StaticPasswordConfig = Config['staticPasswords'][number];
export type ConnectorConfig = Config['connectors'][number];
export type { ClusterConfig } from './clusters.js';
export type KeysConfig = Config['keys'];
