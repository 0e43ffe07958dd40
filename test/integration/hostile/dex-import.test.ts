import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sigilAsync } from '../../support/cli.js';
import { createDexDb, dexSigningKey, type DexDb, type DexFlavor } from '../../support/dex-db.js';
import { createTestDatabase } from '../../support/postgres.js';

/** A Dex database sigil cannot trust is refused whole: one line, exit 1, nothing imported. */
describe('sigil import dex refuses a Dex database it cannot trust', () => {
  let dir: string;
  let sigilDb: { url: string; drop: () => Promise<void> };
  let config: string;
  const opened: DexDb[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigil-dex-hostile-'));
    sigilDb = await createTestDatabase(inject('pgUrl'));
    config = join(dir, 'sigil.json');
    writeFileSync(
      config,
      JSON.stringify({
        issuer: 'https://sigil.example.com',
        storage: { type: 'postgres', config: { url: sigilDb.url } },
        web: { http: '127.0.0.1:0', proxy: true },
        enablePasswordDB: true,
        staticClients: [{ id: 'kubectl', public: true }],
      }),
    );
  });
  afterAll(async () => {
    for (const d of opened) await d.close();
    await sigilDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const dexDb = async (flavor: DexFlavor, migrations?: number) => {
    const d = await createDexDb(flavor, {
      pgUrl: inject('pgUrl'),
      ...(migrations === undefined ? {} : { migrations }),
    });
    opened.push(d);
    return d;
  };

  const refused = async (from: string, message: RegExp) => {
    const r = await sigilAsync(['import', 'dex', '--from', from, '--config', config]);
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('refuses unknown schema versions and half-written databases', async () => {
    const newer = await dexDb('sqlite');
    await newer.exec('insert into migrations (num, at) values ($1, now());', [14]);
    await refused(newer.from, /schema version 14 is newer than the ones sigil reads/);
    await refused((await dexDb('postgres', 5)).from, /schema version 5 is older/);
    const half = await dexDb('postgres');
    await half.exec('drop table offline_session;');
    await refused(half.from, /half-written: schema version 13 but no offline_session table/);
    const noMigrations = await dexDb('sqlite', 0);
    await noMigrations.exec('delete from migrations;');
    await refused(noMigrations.from, /half-written: its migrations table is empty/);
    const notDex = join(dir, 'not-dex.db');
    writeFileSync(notDex, 'SQLite format 3 but not really'.repeat(100));
    await refused(notDex, /cannot open .* as a SQLite database/);
    await refused(join(dir, 'missing.db'), /no such file/);
  }, 120_000);

  it('refuses broken JSON and broken keys, naming the row but not its content', async () => {
    const json = await dexDb('sqlite');
    await json.addRefreshToken({
      id: 'rt-broken',
      token: 'topsecret',
      clientID: 'kubectl',
      connectorID: 'local',
      userID: 'u',
      username: 'u',
      rawGroups: '["a",',
    });
    await refused(json.from, /refresh_token row "rt-broken": claims_groups is not valid JSON/);
    const mismatch = await dexDb('postgres');
    const [a, b] = [await dexSigningKey(), await dexSigningKey()];
    await mismatch.addKeys({
      signingKey: a.priv,
      signingKeyPub: b.pub,
      verificationKeys: [],
      nextRotation: new Date(),
    });
    await refused(mismatch.from, /signing_key_pub is not the public half of signing_key/);
    const garbage = await dexDb('sqlite');
    await garbage.addKeys({
      signingKey: { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac', alg: 'HS256' },
      signingKeyPub: a.pub,
      verificationKeys: [],
      nextRotation: new Date(),
    });
    await refused(
      garbage.from,
      /keys: signing_key uses HS256: sigil publishes RS256, ES256 and EdDSA keys/,
    );
    const hs = await dexDb('postgres');
    await hs.addKeys({
      signingKey: '"not a key"',
      signingKeyPub: a.pub,
      verificationKeys: '{}',
      nextRotation: new Date(),
    });
    await refused(hs.from, /verification_keys is not a JSON array|signing_key is not a JWK/);
    const rows = await (async () => {
      const c = new pg.Client({ connectionString: sigilDb.url });
      await c.connect();
      try {
        const { rows } = await c.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM signing_keys WHERE origin = 'dex')::int + (SELECT count(*) FROM dex_refresh_tokens)::int AS n`,
        );
        return rows;
      } catch {
        return [{ n: 0 }]; // never migrated: nothing was written at all
      } finally {
        await c.end();
      }
    })();
    expect(rows[0]!.n).toBe(0);
  }, 120_000);

  it('refuses hostile --from values in one line', async () => {
    for (const from of [
      '',
      'mysql://root@localhost/dex',
      'postgres://nobody:pw@127.0.0.1:1/dex',
      `${dir}/../../etc/passwd`,
      'x'.repeat(5000),
    ]) {
      const r = await sigilAsync(['import', 'dex', '--from', from, '--config', config]);
      expect(r.status, from).toBe(1);
      expect(r.stderr.trim().split('\n'), from).toHaveLength(1);
      expect(r.stderr, from).not.toContain('pw@');
    }
    const none = await sigilAsync(['import', 'dex', '--config', config]);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/--from/);
  }, 120_000);
});
