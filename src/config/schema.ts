import { z } from 'zod';
import { issuerPathProblem } from './issuer.js';
import {
  access,
  admin,
  adminIssues,
  audit,
  clusterIssues,
  clusterSchema,
  connector,
  duplicates,
  elevation,
  elevationIssues,
  expiry,
  frontend,
  keys,
  LOCAL_CONNECTOR_ID,
  logger,
  mfa,
  oauth2,
  sessions,
  staticClient,
  staticPassword,
  storage,
  telemetry,
  throttle,
  web,
} from './schema/index.js';

/**
 * sigil's configuration file, one zod schema assembled from its sections (schema/*.ts). Every
 * key carries its documentation in `.meta({ description })`; docs/config.md is generated from
 * it (`npm run docs`). Where Dex has the same concept, the key has Dex's name and shape.
 *
 * The parsed config is final: durations are milliseconds, every default is filled (each
 * written once, at its key; a section is `.prefault({})` so that its keys' defaults apply),
 * and the cross-field rules below have run.
 */
const sections = z
  .object({
    issuer: z.url().meta({
      description:
        "The issuer URL, exactly as kube-apiserver gets it in `--oidc-issuer-url`. Must be https (kube-apiserver refuses http). It may have a path, as Dex's usually does (`https://auth.example.com/dex`): then discovery, every endpoint, page, asset and cookie live under that path, and requests outside it get 404 (health and metrics stay at the root). No trailing slash, query, fragment, `//` or `..`.",
    }),
    storage: storage.optional(),
    web: web.prefault({}),
    logger: logger.prefault({}),
    expiry: expiry.prefault({}),
    oauth2: oauth2.prefault({}),
    keys: keys.prefault({}),
    staticClients: z.array(staticClient).prefault([]),
    connectors: z.array(connector).prefault([]),
    enablePasswordDB: z.boolean().default(false).meta({
      description:
        'Enable the password DB (connector id `local`): the users of `staticPasswords`, and those `sigil import dex` brought over from Dex (then `staticPasswords` may be empty, as in Dex).',
    }),
    staticPasswords: z.array(staticPassword).default([]),
    clusters: z.array(clusterSchema).default([]).meta({
      description:
        'Kubernetes clusters that trust sigil: `sigil kube apiserver-config` and `sigil kube kubeconfig` render their wiring, and /home offers their kubeconfigs.',
    }),
    frontend: frontend.prefault({}).meta({
      description: 'Branding of the pages: name, logo, theme and colour (Dex `frontend`).',
    }),
    telemetry: telemetry.prefault({}).meta({
      description: 'Prometheus metrics and health on a separate listener (Dex `telemetry`).',
    }),
    throttle: throttle.prefault({}).meta({
      description:
        'Brute-force protection, stored in the database so it holds across replicas. A refused attempt looks exactly like a wrong password; the audit trail says `locked`.',
    }),
    audit: audit.prefault({}).meta({
      description:
        'The audit trail (`audit_events` table and a JSON log line per event; `sigil audit` queries it).',
    }),
    access: access.prefault({}).meta({
      description: 'Rules for every client: reserved name prefixes and the groups claim cap.',
    }),
    admin: admin.prefault({}).meta({
      description:
        'Who may use the admin API (`/api/v1`, docs/api.md): people in these groups, and these clients through the client credentials grant.',
    }),
    mfa: mfa.prefault({}).meta({
      description:
        'Multi-factor login: TOTP authenticator apps, passkeys and security keys, recovery codes (docs/mfa.md).',
    }),
    sessions: sessions.prefault({}).meta({
      description:
        'Sessions: every login, listed on /home/devices, by `sigil sessions` and the API.',
    }),
    elevation: elevation.prefault({}).meta({
      description:
        'Just-in-time elevation: roles (a group in the id_token) people may ask for, for a bounded time, with a reason and an approver (docs/elevation.md).',
    }),
    dev: z.boolean().default(false).meta({
      description:
        'Development mode (set by zero-config start): generated TLS, demo user and client. Never in production.',
    }),
  })
  .strict();

type Sections = z.output<typeof sections>;
type Issue = { path: (string | number)[]; message: string };
type Row = [bad: boolean, path: (string | number)[], message: string];

function issuerRows(issuer: string): Row[] {
  const problem = URL.canParse(issuer) ? issuerPathProblem(issuer) : undefined;
  return problem === undefined ? [] : [[true, ['issuer'], problem]];
}

/** Cross-field rules, one row each (Dex's Validate table): every failing row is reported. */
function ruleRows(c: Sections): Issue[] {
  const rows: Row[] = [
    [
      URL.canParse(c.issuer) && !c.issuer.startsWith('https://') && !c.dev,
      ['issuer'],
      'must be https: kube-apiserver refuses http issuers',
    ],
    ...issuerRows(c.issuer),
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
    // enablePasswordDB with no staticPasswords is valid, as in Dex: the users are the ones
    // `sigil import dex` brought over from Dex's database (dex_passwords).
    [
      c.staticClients.length === 0,
      ['staticClients'],
      'no clients: add at least one staticClients entry',
    ],
    [
      c.keys.rotationPeriod !== undefined &&
        c.expiry.signingKeys !== undefined &&
        c.keys.rotationPeriod !== c.expiry.signingKeys,
      ['keys', 'rotationPeriod'],
      'keys.rotationPeriod and expiry.signingKeys (its Dex name) disagree: set one',
    ],
  ];
  return rows.filter(([bad]) => bad).map(([, path, message]) => ({ path, message }));
}

function connectorIds(c: Sections): string[] {
  return [...c.connectors.map((x) => x.id), ...(c.enablePasswordDB ? [LOCAL_CONNECTOR_ID] : [])];
}

function idIssues(c: Sections): Issue[] {
  const out: Issue[] = [];
  for (const i of duplicates(c.staticClients.map((x) => x.id)))
    out.push({ path: ['staticClients', i, 'id'], message: 'duplicate client id' });
  for (const i of duplicates(connectorIds(c)))
    out.push({
      path: ['connectors', i, 'id'],
      message: 'duplicate connector id (`local` is the password DB)',
    });
  return out;
}

function passwordConnectorIssues(c: Sections): Issue[] {
  const id = c.oauth2.passwordConnector;
  return id === undefined || connectorIds(c).includes(id)
    ? []
    : [{ path: ['oauth2', 'passwordConnector'], message: 'names no connector' }];
}

function mfaIssues(c: Sections): Issue[] {
  const req = c.mfa.required;
  if (typeof req === 'string') return [];
  const out: Issue[] = [];
  req.clients.forEach((id, i) => {
    if (!c.staticClients.some((x) => x.id === id))
      out.push({ path: ['mfa', 'required', 'clients', i], message: 'names no staticClients id' });
  });
  return out;
}

function clientIssues(c: Sections): Issue[] {
  const out: Issue[] = [];
  c.staticClients.forEach((cl, i) => {
    if (!cl.public && cl.secret === undefined)
      out.push({
        path: ['staticClients', i, 'secret'],
        message: 'a confidential client needs a secret (or set public: true)',
      });
    cl.trustedPeers.forEach((peer, j) => {
      if (!c.staticClients.some((x) => x.id === peer))
        out.push({
          path: ['staticClients', i, 'trustedPeers', j],
          message: 'names no staticClients id',
        });
    });
    if (!cl.public && cl.redirectURIs.length === 0)
      out.push({
        path: ['staticClients', i, 'redirectURIs'],
        message: 'a confidential client needs redirectURIs',
      });
  });
  return out;
}

export const configSchema = sections.superRefine((c, ctx) => {
  const issues = [
    ...ruleRows(c),
    ...idIssues(c),
    ...clientIssues(c),
    ...clusterIssues(c),
    ...passwordConnectorIssues(c),
    ...adminIssues(c),
    ...mfaIssues(c),
    ...elevationIssues(c),
  ];
  for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;

/**
 * A parsed config as a file would write it (durations as text again, e.g. `10m`): parsing the
 * result gives the same config. For tools and tests that write a config file from one.
 */
export function configAsInput(config: Config): ConfigInput {
  return z.encode(configSchema, config);
}
export type StaticClientConfig = Config['staticClients'][number];
export type { StaticPasswordConfig } from './schema/index.js';
export type ConnectorConfig = Config['connectors'][number];
export type LdapConnectorConfig = ConnectorConfig['config'];
export type { ClusterConfig } from './schema/index.js';
export type KeysConfig = Config['keys'];
export type { MfaConfig } from './schema/index.js';
export type { ElevationConfig, ElevationRoleConfig } from './schema/index.js';
