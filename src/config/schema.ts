import { z } from 'zod';
import { ldapConfigSchema } from '../connectors/ldap/config.js';
import { parseDuration } from './duration.js';

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
  })
  .strict();

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
    postLogoutRedirectURIs: z
      .array(z.url())
      .default([])
      .meta({ description: 'Where RP-initiated logout may return to.' }),
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
    web: web.default({ proxy: false, maxRequestBytes: 65_536 }),
    logger: logger.default({ level: 'info', format: 'auto' }),
    expiry: expiry.default({
      idTokens: '10m',
      authRequests: '10m',
      deviceRequests: '10m',
      sessions: '24h',
      refreshTokens: { reuseInterval: '5s', validIfNotUsedFor: '168h', absoluteLifetime: '720h' },
    }),
    oauth2: oauth2.default({ skipApprovalScreen: true }),
    staticClients: z.array(staticClient).default([]),
    connectors: z.array(connector).default([]),
    enablePasswordDB: z.boolean().default(false).meta({
      description: 'Enable the local users of `staticPasswords` (connector id `local`).',
    }),
    staticPasswords: z.array(staticPassword).default([]),
    frontend: frontend.default({ issuer: 'sigil', theme: 'auto' }).meta({
      description: 'Branding of the pages: name, logo, theme and colour (Dex `frontend`).',
    }),
    telemetry: telemetry.default({}).meta({
      description: 'Prometheus metrics and health on a separate listener (Dex `telemetry`).',
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
      if (!cl.public && cl.redirectURIs.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['staticClients', i, 'redirectURIs'],
          message: 'a confidential client needs redirectURIs',
        });
    });
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
