import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sigilAsync } from '../../support/cli.js';
import {
  createDexDb,
  dexLdapConnectorData,
  dexSigningKey,
  type DexDb,
  type DexFlavor,
} from '../../support/dex-db.js';
import { createTestDatabase } from '../../support/postgres.js';

/**
 * `sigil import dex` through the command line, from a Dex database of each flavor: what it
 * imports and skips (and says so), that a second run changes nothing, and that a database it
 * cannot trust is refused whole.
 */
const HOUR = 3_600_000;

async function fillDex(dex: DexDb): Promise<{ signingKid: string; expiredKid: string }> {
  const signing = await dexSigningKey();
  const live = await dexSigningKey();
  const expired = await dexSigningKey();
  await dex.addKeys({
    signingKey: signing.priv,
    signingKeyPub: signing.pub,
    verificationKeys: [
      { publicKey: live.pub, expiry: new Date(Date.now() + HOUR) },
      { publicKey: expired.pub, expiry: new Date(Date.now() - 24 * HOUR) },
    ],
    nextRotation: new Date(Date.now() + 6 * HOUR),
  });
  await dex.addClient({
    id: 'grafana',
    secret: 'grafana-dex-secret',
    redirectURIs: ['https://grafana.example.com/login/generic_oauth'],
    name: 'Grafana',
  });
  await dex.addClient({ id: 'kubectl', secret: 'ignored', public: true });
  await dex.addPassword({
    email: 'Pat@Example.com',
    hash: await bcrypt.hash('pat-password', 4),
    username: 'pat',
    userID: 'pat-0001',
    groups: ['devs'],
  });
  const base = { connectorID: 'ldap', userID: 'dora', username: 'dora' };
  const data = dexLdapConnectorData('dora', 'uid=dora,ou=People,dc=example,dc=org');
  await dex.addRefreshToken({
    ...base,
    id: 'rt-1',
    token: 's1',
    clientID: 'kubectl',
    connectorData: null,
  });
  await dex.addOfflineSession({
    userID: 'dora',
    connID: 'ldap',
    refresh: {
      kubectl: {
        ID: 'rt-1',
        ClientID: 'kubectl',
        CreatedAt: new Date().toISOString(),
        LastUsed: new Date().toISOString(),
      },
    },
    connectorData: data,
  });
  await dex.addRefreshToken({ ...base, id: 'rt-2', token: 's2', clientID: 'grafana' });
  await dex.addRefreshToken({
    ...base,
    id: 'rt-github',
    token: 's3',
    clientID: 'kubectl',
    connectorID: 'github',
  });
  await dex.addRefreshToken({ ...base, id: 'rt-unknown-client', token: 's4', clientID: 'nobody' });
  await dex.addRefreshToken({
    ...base,
    id: 'rt-old',
    token: 's5',
    clientID: 'kubectl',
    createdAt: new Date(Date.now() - 2000 * HOUR),
    lastUsed: new Date(Date.now() - 1000 * HOUR),
  });
  await dex.addConnector({
    id: 'corp-ad',
    type: 'ldap',
    name: 'Corp AD',
    config: {
      host: 'ad.example.com:636',
      bindDN: 'cn=svc',
      bindPW: 'ad-bind-secret',
      userSearch: { baseDN: 'dc=corp', username: 'sAMAccountName' },
    },
  });
  return { signingKid: signing.pub.kid!, expiredKid: expired.pub.kid! };
}

describe.each(['postgres', 'sqlite'] as const)('sigil import dex from %s', (flavor: DexFlavor) => {
  let dir: string;
  let sigilDb: { url: string; drop: () => Promise<void> };
  let config: string;
  let dex: DexDb;
  let kids: { signingKid: string; expiredKid: string };
  const query = async <R>(sql: string): Promise<R[]> => {
    const c = new pg.Client({ connectionString: sigilDb.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows as R[];
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigil-dex-import-'));
    sigilDb = await createTestDatabase(inject('pgUrl'));
    config = join(dir, 'sigil.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        issuer: 'https://sigil.example.com',
        storage: { type: 'postgres', config: { url: sigilDb.url } },
        web: { http: '127.0.0.1:0', proxy: true },
        keys: { encryptionSecret: 'a-key-encryption-secret-of-32-chars!!' },
        // enablePasswordDB without staticPasswords: the password users come from Dex.
        enablePasswordDB: true,
        staticClients: [{ id: 'kubectl', public: true }],
        connectors: [
          {
            type: 'ldap',
            id: 'ldap',
            name: 'LDAP',
            config: {
              host: '127.0.0.1:389',
              insecureNoSSL: true,
              userSearch: { baseDN: 'ou=People,dc=example,dc=org', username: 'uid', idAttr: 'uid' },
            },
          },
        ],
      }),
    );
    dex = await createDexDb(flavor, { pgUrl: inject('pgUrl') });
    kids = await fillDex(dex);
  }, 60_000);

  afterAll(async () => {
    await dex.close();
    await sigilDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run says what it would import and writes nothing', async () => {
    const unmigrated = await sigilAsync([
      'import',
      'dex',
      '--dry-run',
      '--from',
      dex.from,
      '--config',
      config,
    ]);
    expect(unmigrated.status).toBe(1);
    expect(unmigrated.stderr).toMatch(/run `sigil migrate` first/);
    expect((await sigilAsync(['migrate', '--config', config])).status).toBe(0);
    const r = await sigilAsync([
      'import',
      'dex',
      '--dry-run',
      '--from',
      dex.from,
      '--config',
      config,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('keys: 2 imported');
    expect(r.stdout).toContain('dry run: nothing was written');
    const rows = await query<{ n: number }>(
      `SELECT (SELECT count(*) FROM signing_keys WHERE origin = 'dex')::int
            + (SELECT count(*) FROM dex_refresh_tokens)::int
            + (SELECT count(*) FROM dex_clients)::int
            + (SELECT count(*) FROM audit_events WHERE event = 'dex.imported')::int AS n`,
    );
    expect(rows[0]!.n).toBe(0);
  }, 120_000);

  it('imports keys, API clients, password users and refresh tokens, and says what it skipped and why', async () => {
    const r = await sigilAsync(['import', 'dex', '--from', dex.from, '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain(`read a Dex database (${flavor}, schema version 13)`);
    expect(r.stdout).toContain('keys: 2 imported');
    expect(r.stdout).toContain('clients: 1 imported');
    expect(r.stdout).toContain('password users: 1 imported');
    expect(r.stdout).toContain('refresh tokens: 2 imported');
    expect(r.stdout).toContain(`verification key ${kids.expiredKid}: expired in Dex`);
    expect(r.stdout).toContain('client kubectl: staticClients has a client of this id');
    expect(r.stdout).toContain('refresh token rt-github: its connector github is not configured');
    expect(r.stdout).toContain('refresh token rt-unknown-client: its client nobody');
    expect(r.stdout).toContain('refresh token rt-old: expired');
    // Connectors in Dex's database: printed to paste, their secrets as ${VAR} references.
    expect(r.stdout).toContain('id: corp-ad');
    expect(r.stdout).toContain('${CORP_AD_BINDPW}');
    expect(r.stdout).not.toContain('ad-bind-secret');

    const keys = await query<{
      kid: string;
      state: string;
      encrypted: boolean;
      public_only: boolean;
      origin: string;
      private_jwk: string;
    }>(
      `SELECT kid, state, encrypted, public_only, origin, private_jwk FROM signing_keys WHERE origin = 'dex' ORDER BY public_only`,
    );
    expect(keys.map((k) => [k.state, k.encrypted, k.public_only])).toEqual([
      ['retired', true, false],
      ['retired', false, true],
    ]);
    expect(keys[0]!.kid).toBe(kids.signingKid);
    expect(keys[0]!.private_jwk).not.toContain('"d"'); // sealed at rest
    const [client] = await query<{ secret: string; encrypted: boolean }>(
      `SELECT secret, encrypted FROM dex_clients`,
    );
    expect(client!.encrypted).toBe(true);
    expect(client!.secret).not.toContain('grafana-dex-secret');
    const [pw] = await query<{ email: string; hash: string }>(
      `SELECT email, hash FROM dex_passwords`,
    );
    expect(pw!.email).toBe('pat@example.com');
    expect(pw!.hash).toMatch(/^\$2[ab]\$04\$/);
    const rts = await query<{ id: string; token_hash: string; connector_data: unknown }>(
      `SELECT id, token_hash, connector_data FROM dex_refresh_tokens ORDER BY id`,
    );
    expect(rts.map((t) => t.id)).toEqual(['rt-1', 'rt-2']);
    // The offline session's connector data joined the token that had none.
    expect(rts[0]!.connector_data).toEqual({ dn: 'uid=dora,ou=People,dc=example,dc=org' });
    expect(JSON.stringify(rts)).not.toContain('"s1"');
    const audit = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE event = 'dex.imported'`,
    );
    expect(audit[0]!.n).toBe(1);
    const list = await sigilAsync(['keys', 'list', '--config', config]);
    expect(list.stdout).toMatch(
      new RegExp(`${kids.signingKid} \\(dex\\)\\s+RS256\\s+retired\\s+yes\\s+encrypted`),
    );
    expect(list.stdout).toMatch(/\(dex\)\s+RS256\s+retired\s+yes\s+public only/);
  }, 120_000);

  it('a second run changes nothing', async () => {
    const before = await query<{ t: string }>(
      `SELECT string_agg(kid || state || remove_after::text, ',' ORDER BY kid) AS t FROM signing_keys`,
    );
    const r = await sigilAsync(['import', 'dex', '--from', dex.from, '--config', config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing changed: everything was imported before');
    expect(r.stdout).toContain('keys: 0 imported, 0 updated, 2 already there');
    const after = await query<{ t: string }>(
      `SELECT string_agg(kid || state || remove_after::text, ',' ORDER BY kid) AS t FROM signing_keys`,
    );
    expect(after).toEqual(before);
    const audit = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE event = 'dex.imported'`,
    );
    expect(audit[0]!.n).toBe(1);
  }, 120_000);
});
