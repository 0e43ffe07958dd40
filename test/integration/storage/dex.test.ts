import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimDexRefreshToken,
  findDexPasswordByLogin,
  findDexPasswordByUserId,
  hashId,
  migrate,
  saveDexClient,
  saveDexPassword,
  saveDexRefreshToken,
  type ClaimedDexToken,
  type DexRefreshRow,
} from '../../../src/storage/index.js';
import { STORAGE_BACKENDS } from './backends.js';

const refresh: DexRefreshRow = {
  id: 'rt-1',
  tokenHash: hashId('secret'),
  clientId: 'kubectl',
  userId: 'dora',
  connectorId: 'ldap',
  scopes: ['openid', 'groups'],
  nonce: '',
  claims: { username: 'dora', preferredUsername: '', email: '', emailVerified: false, groups: [] },
  connectorData: { dn: 'uid=dora' },
  createdAt: new Date('2026-12-01T00:00:00.000Z'),
  lastUsed: new Date('2026-12-04T00:00:00.000Z'),
};

const built = (grantId: string): ClaimedDexToken => ({
  grant: {
    id: grantId,
    expiresIn: 60,
    payload: { kind: 'Grant', jti: grantId, accountId: 'sub-dora', clientId: 'kubectl' },
  },
  refreshToken: {
    expiresIn: 60,
    payload: { kind: 'RefreshToken', accountId: 'sub-dora', clientId: 'kubectl', grantId },
  },
  identity: { sub: 'sub-dora', connectorId: 'ldap', record: { userId: 'dora', username: 'dora' } },
});

/** The dex_* tables (storage/dex.ts) behave alike on PostgreSQL and PGlite. */
describe.each(STORAGE_BACKENDS)('dex tables: %s', (_name, open) => {
  let h: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    h = await open('dex');
    await migrate(h.db);
  }, 60_000);
  afterAll(async () => {
    await h.cleanup();
  });

  it('saves a row once: imported, then unchanged, then updated when Dex changed it', async () => {
    const client = {
      id: 'grafana',
      secret: 's',
      encrypted: false,
      redirectUris: ['https://g/cb'],
      trustedPeers: [],
      public: false,
      name: 'G',
      logoUrl: '',
    };
    expect(await saveDexClient(h.db, client)).toBe('imported');
    expect(await saveDexClient(h.db, client)).toBe('unchanged');
    expect(await saveDexClient(h.db, { ...client, name: 'Grafana' })).toBe('updated');
    const pw = {
      email: 'Pat@Example.com',
      hash: '$2a$04$x',
      username: 'pat',
      preferredUsername: 'pat',
      userId: 'p1',
      name: 'Pat',
      emailVerified: true,
      groups: ['devs'],
    };
    expect(await saveDexPassword(h.db, pw)).toBe('imported');
    expect(await saveDexPassword(h.db, pw)).toBe('unchanged');
    expect(await saveDexPassword(h.db, { ...pw, hash: '$2a$04$y' })).toBe('updated');
    expect(await saveDexRefreshToken(h.db, refresh)).toBe('imported');
    expect(await saveDexRefreshToken(h.db, refresh)).toBe('unchanged');
  });

  it('finds password users by email in any case, by username only when it names one person', async () => {
    await saveDexPassword(h.db, {
      email: 'twin1@example.com',
      hash: 'h',
      username: 'twin',
      preferredUsername: 'twin',
      userId: 't1',
      name: 't',
      emailVerified: true,
      groups: [],
    });
    await saveDexPassword(h.db, {
      email: 'twin2@example.com',
      hash: 'h',
      username: 'twin',
      preferredUsername: 'twin',
      userId: 't2',
      name: 't',
      emailVerified: true,
      groups: [],
    });
    expect((await findDexPasswordByLogin(h.db, 'PAT@example.COM'))?.userId).toBe('p1');
    expect((await findDexPasswordByLogin(h.db, 'pat'))?.userId).toBe('p1');
    expect(await findDexPasswordByLogin(h.db, 'twin')).toBeUndefined();
    expect(await findDexPasswordByLogin(h.db, "' OR '1'='1")).toBeUndefined();
    expect((await findDexPasswordByUserId(h.db, 't2'))?.email).toBe('twin2@example.com');
  });

  it('claims a refresh token once, only with its secret, and stores what it became', async () => {
    expect(
      await claimDexRefreshToken(
        h.db,
        'v',
        { id: 'rt-1', tokenHash: hashId('wrong') },
        async (_r, g) => built(g),
        () => 'g0',
      ),
    ).toBe(false);
    let n = 0;
    const claims = await Promise.all(
      [1, 2, 3].map(() =>
        claimDexRefreshToken(
          h.db,
          'dex-value',
          { id: 'rt-1', tokenHash: hashId('secret') },
          async (_r, g) => built(g),
          () => `g${String(++n)}`,
        ),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const { rows } = await h.db.query<{ kind: string; grant_id: string | null }>(
      `SELECT kind, grant_id FROM oidc_payload WHERE id = $1 OR kind = 'Grant' ORDER BY kind`,
      [hashId('dex-value')],
    );
    expect(rows.map((r) => r.kind)).toEqual(['Grant', 'RefreshToken']);
    const ids = await h.db.query<{ sub: string }>(`SELECT sub FROM identities`);
    expect(ids.rows).toEqual([{ sub: 'sub-dora' }]);
    // Claimed: Dex's data for it is never overwritten by another import.
    expect(await saveDexRefreshToken(h.db, { ...refresh, lastUsed: new Date() })).toBe('unchanged');
  });

  it('a build that cannot use the token leaves it unclaimed', async () => {
    await saveDexRefreshToken(h.db, { ...refresh, id: 'rt-2' });
    expect(
      await claimDexRefreshToken(
        h.db,
        'v2',
        { id: 'rt-2', tokenHash: hashId('secret') },
        () => Promise.resolve(undefined),
        () => 'gx',
      ),
    ).toBe(false);
    const { rows } = await h.db.query<{ claimed_at: Date | null }>(
      `SELECT claimed_at FROM dex_refresh_tokens WHERE id = 'rt-2'`,
    );
    expect(rows[0]?.claimed_at).toBeNull();
  });
});
