import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, clientToken, OPS } from '../../support/api.js';
import { sigilAsync } from '../../support/cli.js';
import { refreshGrant, type RefreshableTokens } from '../../support/oidc-flow.js';
import { createTestDatabase } from '../../support/postgres.js';
import { login, startCluster, type Cluster } from './cluster.js';

/**
 * Offboarding across replicas: the API on one replica (through the round-robin proxy) or the
 * CLI on the shared database ends a person's sessions, and every replica refuses their refresh
 * tokens at the next request, without a restart.
 */
describe('offboarding across two replicas', () => {
  let c: Cluster;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase(inject('pgUrl'), 'sigil_offboard');
    drop = db.drop;
    c = await startCluster({
      dbUrl: db.url,
      config: {
        staticClients: [
          { id: 'kubectl', public: true, name: 'kubectl' },
          {
            id: OPS.clientId,
            secret: OPS.clientSecret,
            redirectURIs: ['https://ops.example.com/cb'],
          },
        ],
        admin: { clients: [OPS.clientId] },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await c.close();
    await drop();
  });

  /** Two refreshes through the round-robin proxy: one lands on each replica. */
  async function refusedOnBoth(t: RefreshableTokens): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const r = await refreshGrant(c.client(), t.refresh_token);
      expect(r.status, r.text).toBe(400);
      expect(r.json()['error']).toBe('invalid_grant');
    }
  }

  it('one API call ends every session of a person on every replica', async () => {
    const laptop = await login(c);
    const desktop = await login(c);
    const ops = await clientToken(c.client(), OPS);
    const r = await api(c.client(), 'POST', '/sessions/revoke', ops, { user: 'alice' });
    expect(r.status, r.text).toBe(200);
    expect(r.json<{ ended: unknown[] }>().ended).toHaveLength(2);
    await refusedOnBoth(laptop);
    await refusedOnBoth(desktop);
    const list = await api(c.client(), 'GET', '/sessions?user=alice', ops);
    expect(list.json<{ items: unknown[] }>().items).toEqual([]);
  });

  it('one command ends every session of a person on every replica', async () => {
    const laptop = await login(c);
    const ok = await refreshGrant(c.client(), laptop.refresh_token);
    expect(ok.status, ok.text).toBe(200);
    const next = { ...laptop, refresh_token: ok.json<{ refresh_token: string }>().refresh_token };
    const cli = await sigilAsync([
      'sessions',
      'revoke',
      '--user',
      'alice',
      '--config',
      c.configFile(0),
    ]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/user alice: ended 1 session\(s\)/);
    await refusedOnBoth(next);
  });
});
