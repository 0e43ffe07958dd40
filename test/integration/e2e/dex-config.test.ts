import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfigNoted } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { ensureDevTls } from '../../../src/tls/index.js';
import { Client } from '../../support/http-client.js';
import { createTestOu, type TestOu } from '../../support/ldap-test-ou.js';
import { freePort } from '../../support/net.js';
import { kubeloginTokens } from '../../support/oidc-flow.js';
import { createTestDatabase } from '../../support/postgres.js';
import { LDAP_FIXTURES } from '../../support/slapd.js';
import { adminClient } from '../ldap/support.js';

/**
 * The "done when": a Dex configuration file as Dex runs it (issuer https://host/dex,
 * Dex's postgres keys, `$VAR` in the connector, `idEnv`, the LDAP connector with Dex's nested
 * groups matcher) starts sigil unchanged, and a kubelogin login gets its nested groups.
 */
describe('a Dex configuration file runs sigil as it is', () => {
  let dir: string;
  let ou: TestOu;
  let drop: () => Promise<void>;
  let server: RunningServer;
  let issuer: string;
  let ca: string;
  let notes: readonly { path: string }[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigil-dex-config-'));
    ou = await createTestOu('TestDexConfig', [
      { uid: 'd-alice', name: 'Dex Alice', groups: ['d-devs'] },
    ]);
    // Nested: d-devs is a member of d-engineering (Dex: the parent's `member` lists the child).
    const admin = await adminClient();
    await admin.add(`cn=d-engineering,${ou.groupsDN}`, {
      objectClass: 'groupOfNames',
      cn: 'd-engineering',
      member: [`cn=d-devs,${ou.groupsDN}`],
    });
    await admin.unbind();
    const db = await createTestDatabase(inject('pgUrl'));
    drop = db.drop;
    const pg = new URL(db.url);
    const tls = await ensureDevTls(dir);
    ca = tls.caFile;
    const port = await freePort();
    issuer = `https://localhost:${port}/dex`;
    const dex = `
issuer: ${issuer}
storage:
  type: postgres
  config:
    host: ${pg.hostname}
    port: ${pg.port}
    database: ${pg.pathname.slice(1)}
    user: ${decodeURIComponent(pg.username)}
    ssl:
      mode: disable
web:
  https: 127.0.0.1:${port}
  tlsCert: ${tls.certFile}
  tlsKey: ${tls.keyFile}
telemetry:
  http: 127.0.0.1:${await freePort()}
expiry:
  idTokens: 10m
  refreshTokens:
    reuseInterval: 3s
logger:
  level: warn
oauth2:
  skipApprovalScreen: true
staticClients:
- idEnv: KUBE_CLIENT_ID
  name: kubectl
  public: true
connectors:
- type: ldap
  id: ldap
  name: Corporate directory
  config:
    host: 127.0.0.1:${new URL(inject('ldapsUrl')).port}
    rootCA: ${inject('ldapCaFile')}
    bindDN: ${LDAP_FIXTURES.serviceDN}
    bindPW: $LDAP_BIND_PW
    usernamePrompt: Username
    userSearch:
      baseDN: ${ou.peopleDN}
      filter: "(objectClass=inetOrgPerson)"
      username: uid
      idAttr: entryUUID
      emailAttr: mail
      nameAttr: cn
    groupSearch:
      baseDN: ${ou.groupsDN}
      filter: "(objectClass=groupOfNames)"
      userMatchers:
      - userAttr: DN
        groupAttr: member
        recursionGroupAttr: member
      nameAttr: cn
`;
    const env = { KUBE_CLIENT_ID: 'kubectl', LDAP_BIND_PW: LDAP_FIXTURES.servicePassword };
    const parsed = parseConfigNoted(dex, 'dex.yaml', env, dir, true);
    notes = parsed.notes;
    const log = createLogger({ level: 'warn', format: 'json', destination: new PassThrough() });
    server = await startServer({ config: parsed.config, log, drainMs: 500 });
  });
  afterAll(async () => {
    await server.close();
    await drop();
    await ou.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has nothing to note beyond the file itself', () => {
    expect(notes).toEqual([]);
  });

  it('logs in with kubelogin under /dex and puts the nested groups in the id_token', async () => {
    const c = new Client(issuer, { ca: readFileSync(ca) });
    const tokens = await kubeloginTokens(c, { username: 'd-alice', password: 'd-alice-pw' });
    const jwks = createLocalJWKSet((await c.get('/jwks')).json<JSONWebKeySet>());
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer, audience: 'kubectl' });
    expect(payload['groups']).toEqual(['d-devs', 'd-engineering']);
    expect(payload['email']).toBe('d-alice@example.org');
  });
});
