import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigNoted, type ParsedConfig } from '../../src/config/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'dex');
const HASH = '$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W';

function parse(text: string, env: NodeJS.ProcessEnv = {}, fromDex = true): ParsedConfig {
  return parseConfigNoted(text, 'dex.yaml', env, FIXTURES, fromDex);
}

/** The problems (path: message) a file has; [] when it parses. */
function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parse(text, env);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const paths = (items: readonly { path: string }[]) => items.map((i) => i.path);

function failure(text: string): ConfigError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A Dex configuration as a platform team runs it: https://host/dex, PostgreSQL, LDAP. */
const PRODUCTION = `
issuer: https://auth.example.com/dex
storage:
  type: postgres
  config:
    host: db.example.com:5432
    database: dex
    user: dex
    password: $DEX_DB_PASSWORD
    connectionTimeout: 7
    maxIdleConns: 3
    ssl:
      mode: verify-full
      caFile: /etc/dex/db-ca.pem
web:
  https: 0.0.0.0:5554
  tlsCert: /etc/dex/tls.crt
  tlsKey: /etc/dex/tls.key
  tlsMinVersion: "1.2"
  headers:
    X-Frame-Options: DENY
telemetry:
  http: 0.0.0.0:5558
expiry:
  idTokens: 15m
  authRequests: 5m
  deviceRequests: 5m
  signingKeys: 12h
  refreshTokens:
    disableRotation: true
    reuseInterval: 3s
    validIfNotUsedFor: 2160h
    absoluteLifetime: 3960h
logger:
  level: DEBUG
  format: json
  excludeFields: [email]
frontend:
  issuer: ACME
  theme: tectonic
  logoURL: theme/logo.png
  extra: { tos: https://acme.example.com/tos }
oauth2:
  responseTypes: [code]
  grantTypes: [authorization_code, refresh_token, password, "urn:ietf:params:oauth:grant-type:device_code"]
  skipApprovalScreen: true
  alwaysShowLoginScreen: true
  passwordConnector: ldap
staticClients:
- idEnv: KUBE_CLIENT_ID
  public: true
  name: Kubernetes
- id: grafana
  secretEnv: GRAFANA_SECRET
  redirectURIs: [https://grafana.example.com/login/generic_oauth]
  logoURL: https://grafana.example.com/logo.png
connectors:
- type: ldap
  id: ldap
  name: Corporate directory
  config:
    host: ldap.example.com:636
    rootCA: /etc/dex/ldap-ca.pem
    bindDN: cn=dex,ou=Services,dc=example,dc=com
    bindPW: $LDAP_BIND_PW
    userSearch:
      baseDN: ou=People,dc=example,dc=com
      filter: (objectClass=person)
      username: [uid]
      idAttr: uid
      emailAttr: mail
      nameAttr: cn
    groupSearch:
      baseDN: ou=Groups,dc=example,dc=com
      filter: (objectClass=groupOfNames)
      userMatchers:
      - userAttr: DN
        groupAttr: member
        recursionGroupAttr: member
      nameAttr: cn
enablePasswordDB: true
`;

const base = (extra: string) =>
  `issuer: https://auth.example.com/dex\nweb: { https: 0.0.0.0:5554, tlsCert: c, tlsKey: k }\nstaticClients: [{ id: kubectl, public: true }]\nenablePasswordDB: true\nstaticPasswords: [{ email: a@example.com, hash: "${HASH}", username: a, userID: "1" }]\n${extra}`;

const ENV = {
  DEX_DB_PASSWORD: 'db pass',
  LDAP_BIND_PW: 'bind-pw',
  KUBE_CLIENT_ID: 'kubernetes',
  GRAFANA_SECRET: 'grafana-secret',
};

describe("Dex's configuration file as it is", () => {
  it('runs a production Dex config unchanged, with Dex keys honoured and differences noted', () => {
    const { config, notes } = parse(PRODUCTION, ENV);
    expect(config.issuer).toBe('https://auth.example.com/dex');
    expect(config.storage).toMatchObject({
      type: 'postgres',
      config: {
        host: 'db.example.com',
        port: 5432,
        password: 'db pass',
        connectionTimeout: 7000,
        ssl: { mode: 'verify-full', caFile: '/etc/dex/db-ca.pem' },
      },
    });
    expect(config.staticClients.map((c) => c.id)).toEqual(['kubernetes', 'grafana']);
    expect(config.staticClients[1]?.secret).toBe('grafana-secret');
    // oauth2.grantTypes with password and a passwordConnector: every client, as in Dex.
    expect(config.staticClients.every((c) => c.passwordGrant)).toBe(true);
    expect(config.connectors[0]?.config.bindPW).toBe('bind-pw');
    expect(config.connectors[0]?.config.userSearch.username).toBe('uid');
    expect(config.logger.level).toBe('debug');
    expect(config.frontend.theme).toBe('auto');
    expect(config.expiry).toMatchObject({ authRequests: 300_000, deviceRequests: 300_000 });
    expect(config.enablePasswordDB).toBe(true);
    expect(config.staticPasswords).toEqual([]);
    expect(paths(notes).sort()).toEqual(
      [
        'expiry.refreshTokens.disableRotation',
        'frontend.extra',
        'frontend.logoURL',
        'frontend.theme',
        'logger.excludeFields',
        'oauth2.alwaysShowLoginScreen',
        'oauth2.grantTypes',
        'staticClients[1].logoURL',
        'storage.config.maxIdleConns',
        'web.headers',
      ].sort(),
    );
  });

  it("Dex's LDAP example (v2.45.1): the storage, the http issuer and plain http must change", () => {
    const e = failure(readFileSync(join(FIXTURES, 'config-ldap.yaml'), 'utf8'));
    expect(paths(e.problems)).toEqual(['storage.type', 'issuer', 'web.http']);
    expect(e.problems[0]?.message).toBe(
      'sqlite3: use `pglite` for an embedded database, or `sigil import dex` to bring its data over (docs/dex-import.md)',
    );
    expect(paths(e.notes)).toEqual([
      'oauth2.skipApprovalScreen',
      'connectors[0].config.userSearch.idAttr',
    ]);
  });

  it("Dex's dev example (v2.45.1): storage, the mock connector, the http issuer must change", () => {
    const e = failure(readFileSync(join(FIXTURES, 'config-dev.yaml'), 'utf8'));
    expect(paths(e.problems)).toEqual(['storage.type', 'connectors[0].type', 'issuer', 'web.http']);
    expect(e.problems[1]?.message).toMatch(/^sigil supports ldap \(and static passwords/);
    expect(paths(e.notes)).toEqual(['oauth2.skipApprovalScreen', 'staticClients[0].redirectURIs']);
  });

  it("the LDAP example runs once its storage, issuer and listener are sigil's", () => {
    const text = readFileSync(join(FIXTURES, 'config-ldap.yaml'), 'utf8')
      .replace('http://127.0.0.1:5556/dex', 'https://auth.example.com/dex')
      .replace(
        /storage:\n {2}type: sqlite3\n {2}config:\n {4}file: examples\/dex.db/,
        'storage: { type: pglite }',
      )
      .replace('http: 0.0.0.0:5556', 'http: 0.0.0.0:5556\n  proxy: true');
    const { config, notes } = parse(text);
    expect(config.connectors[0]?.config.userSearch.idAttr).toBe('DN');
    expect(paths(notes)).toContain('connectors[0].config.userSearch.idAttr');
  });

  it.each([
    [
      'storage: { type: sqlite3, config: { file: dex.db } }',
      'storage.type',
      /use `pglite`.*sigil import dex/,
    ],
    ['storage: { type: memory }', 'storage.type', /forgets everything on restart.*pglite/],
    ['storage: { type: mysql, config: {} }', 'storage.type', /PostgreSQL: use `postgres`/],
    ['storage: { type: etcd, config: {} }', 'storage.type', /PostgreSQL/],
    ['storage: { type: kubernetes, config: {} }', 'storage.type', /PostgreSQL/],
    [
      'storage: { type: postgres, config: { host: db, ssl: { certFile: c.pem } } }',
      'storage.config.ssl.certFile',
      /client certificates/,
    ],
    ['grpc: { addr: 127.0.0.1:5557 }', 'grpc', /no gRPC API.*admin API \(\/api\/v1\)/],
    [
      'connectors: [{ type: github, id: gh, name: GitHub, config: {} }]',
      'connectors[0].type',
      /: sigil supports ldap \(and static passwords/,
    ],
    [
      'connectors: [{ type: oidc, id: g, name: G }]',
      'connectors[0].type',
      /"oidc" is not supported/,
    ],
    ['signer: { type: vault, config: { addr: x } }', 'signer.type', /Vault is not supported/],
    ['frontend: { dir: /web }', 'frontend.dir', /brand them with/],
    ['oauth2: { responseTypes: [code, token, id_token] }', 'oauth2.responseTypes', /implicit flow/],
    [
      'web: { https: 0.0.0.0:5554, tlsCert: c, tlsKey: k, tlsMinVersion: "1.3" }',
      'web.tlsMinVersion',
      /TLS 1.2 and 1.3/,
    ],
    [
      'web: { https: 0.0.0.0:5554, tlsCert: c, tlsKey: k, allowedOrigins: ["*"] }',
      'web.allowedOrigins',
      /CORS/,
    ],
    [
      'web: { https: 0.0.0.0:5554, tlsCert: c, tlsKey: k, clientRemoteIP: { header: X-Real-IP } }',
      'web.clientRemoteIP',
      /web.proxy: true/,
    ],
    ['mfa: { authenticators: [{ id: t, type: TOTP }] }', 'mfa.authenticators', /second factor/],
    ['staticClients: [{ idEnv: NOPE, public: true }]', 'staticClients[0].idEnv', /NOPE is not set/],
    [
      'staticClients: [{ id: a, idEnv: X, public: true }]',
      'staticClients[0].idEnv',
      /either id or idEnv/,
    ],
    [
      'staticClients: [{ id: a, public: true, allowedConnectors: [ldap] }]',
      'staticClients[0].allowedConnectors',
      /allowedGroups/,
    ],
    [
      'staticClients: [{ id: a, public: true, mfaChain: [t] }]',
      'staticClients[0].mfaChain',
      /second factor/,
    ],
    [
      'staticPasswords: [{ email: a@example.com, hashFromEnv: NOPE, username: a, userID: "1" }]',
      'staticPasswords[0].hashFromEnv',
      /NOPE is not set/,
    ],
    [
      'connectors: [{ type: ldap, id: l, name: L, config: { host: "h:636", bindPW: $UNSET_PW, userSearch: { baseDN: "dc=x", username: uid } } }]',
      'connectors[0].config.bindPW',
      /UNSET_PW is not set/,
    ],
    [
      'connectors: [{ type: ldap, id: l, name: L, config: { host: "h:636", userSearch: { baseDN: "dc=x", username: [uid, mail] } } }]',
      'connectors[0].config.userSearch.username',
      /list of username attributes/,
    ],
    [
      'connectors: [{ type: ldap, id: l, name: L, config: { host: "h:636", kerberos: { enabled: true, keytabPath: /k }, userSearch: { baseDN: "dc=x", username: uid } } }]',
      'connectors[0].config.kerberos',
      /Kerberos/,
    ],
  ])('refuses %s at %s, saying what to do instead', (extra, path, message) => {
    // A later key of the same name replaces the base's (YAML would refuse duplicates).
    const text =
      base('')
        .split('\n')
        .filter((l) => !l.startsWith(`${extra.split(':')[0]}:`))
        .join('\n') + `\n${extra}\n`;
    const got = problems(text, {});
    const mine = got.find((p) => p.startsWith(`${path}: `));
    expect(mine, got.join('\n')).toBeDefined();
    expect(mine).toMatch(message);
  });

  it("expands Dex's $VAR only in storage, connectors and signer config", () => {
    const { config } = parse(
      base('storage: { type: postgres, config: { host: $DB_HOST, password: "a$$b" } }').replace(
        'kubectl',
        '$NOT_EXPANDED',
      ),
      { DB_HOST: 'db.internal' },
    );
    expect(config.storage).toMatchObject({ config: { host: 'db.internal', password: 'a$$b' } });
    expect(config.staticClients[0]?.id).toBe('$NOT_EXPANDED');
  });

  it('keeps a config of sigil as it is: no notes without Dex keys', () => {
    expect(parse(base(''), {}, false).notes).toEqual([]);
  });
});

describe('config errors in plain words', () => {
  it.each([
    [
      'storage: { type: sqlite4 }',
      'storage.type: unknown type "sqlite4": expected one of postgres, pglite',
    ],
    [
      'connectors: [{ type: 3, id: x, name: X }]',
      'connectors[0].type: unknown type 3: expected one of ldap',
    ],
    [
      'logger: { level: loud }',
      'logger.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    ],
    ['enablePasswordDB: "yes"', 'enablePasswordDB: expected true or false, got "yes"'],
    ['frontend: { issuer: "" }', 'frontend.issuer: must not be empty'],
    [
      'staticClients: [{ id: kubectl, public: true, redirectURIs: [not a url] }]',
      'staticClients[0].redirectURIs[0]: not a URL: "not a url" (e.g. https://auth.example.com/dex)',
    ],
    [
      'web: { https: 0.0.0.0:5554, tlsCert: c, tlsKey: k, maxRequestBytes: 5 }',
      'web.maxRequestBytes: must be at least 1024',
    ],
    ['staticClients: 7', 'staticClients: expected a list, got 7'],
  ])('%s', (extra, want) => {
    const key = extra.split(':')[0] ?? '';
    const text =
      base('')
        .split('\n')
        .filter((l) => !l.startsWith(`${key}:`))
        .join('\n') + `\n${extra}\n`;
    const got = problems(text);
    expect(got, got.join('\n')).toContain(want);
    for (const p of got)
      expect(p).not.toMatch(/Invalid (input|option)|discriminator|Too (small|big)/);
  });

  it.each([
    ['https://auth.example.com/dex/', /must not end with a slash/],
    ['https://auth.example.com/', /must not end with a slash/],
    ['https://auth.example.com/dex?x=1', /query/],
    ['https://auth.example.com/dex#f', /fragment/],
    ['https://auth.example.com//dex', /empty segment/],
    ['https://auth.example.com/a/../dex', /\.\. segments/],
    ['https://auth.example.com/./dex', /\.\. segments/],
    ['https://auth.example.com/d%20ex', /only letters, digits/],
  ])('issuer %s is a config error', (issuer, message) => {
    const got = problems(base('').replace('https://auth.example.com/dex', issuer));
    expect(
      got.find((p) => p.startsWith('issuer: ')),
      got.join('\n'),
    ).toMatch(message);
  });
});
