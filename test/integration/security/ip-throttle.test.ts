import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { auditRows, BOB, openLogin, submit, users } from './support.js';

/**
 * The per-IP limit, and where the IP comes from: behind a proxy (`web.proxy: true`) the
 * address is the X-Forwarded-For entry the nearest proxy appended (`proxyHops` from the
 * right); whatever the client put further left is ignored, so it cannot dodge the limit or
 * frame someone else's address.
 */
describe('per-IP throttle behind a trusted proxy', () => {
  let s: TestSigil;
  beforeAll(async () => {
    s = await startTestSigil(
      'pglite',
      {
        staticPasswords: await users(),
        throttle: {
          ip: { maxFailures: 5, window: '15m', lockout: '15m' },
          backoff: { initial: '0s' },
        },
      },
      { web: { proxy: true, proxyHops: 1 } },
    );
  });
  afterAll(async () => {
    await s.close();
  });

  const xff = (spoofed: string, real: string) => ({ 'x-forwarded-for': `${spoofed}, ${real}` });

  it('locks one address after 5 failures across usernames; other addresses and users are unaffected', async () => {
    const c = s.client();
    const f = await openLogin(c);
    for (let i = 0; i < 5; i++) {
      // A different username each time (no username reaches its own limit) and a different
      // spoofed left-hand entry each time: one address all the same.
      const r = await submit(c, f, `user${i}`, 'guess', xff(`10.9.9.${i}`, '203.0.113.7'));
      expect(r.status).toBe(401);
    }
    // Now even bob's right password is refused from that address...
    const fromAttacker = await submit(
      c,
      f,
      BOB.username,
      BOB.password,
      xff('198.51.100.1', '203.0.113.7'),
    );
    expect(fromAttacker.status).toBe(401);
    // ...but bob and alice log in from their own addresses.
    for (const [u, p, ip] of [
      [BOB.username, BOB.password, '203.0.113.8'],
      [ALICE.username, ALICE.password, '2001:db8:1:2::5'],
    ] as const) {
      const c2 = s.client();
      const r = await submit(c2, await openLogin(c2), u, p, xff('203.0.113.7', ip));
      expect(r.status, r.text.slice(0, 200)).toBe(303);
    }

    const rows = await auditRows(s.server.db, "event = 'login'");
    expect(
      rows.slice(0, 5).every((r) => r.ip === '203.0.113.7' && r.reason === 'unknown_user'),
    ).toBe(true);
    expect(rows[5]).toMatchObject({
      ip: '203.0.113.7',
      outcome: 'locked',
      reason: 'ip_locked',
      username: 'bob',
    });
    expect(rows.slice(6).map((r) => [r.ip, r.outcome])).toEqual([
      ['203.0.113.8', 'success'],
      ['2001:db8:1:2::5', 'success'],
    ]);
    const { rows: keys } = await s.server.db.query<{ scope: string; key: string }>(
      "SELECT scope, key FROM login_throttle WHERE scope = 'ip'",
    );
    expect(keys).toEqual([{ scope: 'ip', key: '203.0.113.7' }]);
  });

  it('throttles an IPv6 client by its /64', async () => {
    const c = s.client();
    const f = await openLogin(c);
    for (let i = 1; i <= 5; i++)
      await submit(c, f, `v6user${i}`, 'guess', xff('x', `2001:db8:aa:bb::${i.toString(16)}`));
    const other = await submit(
      c,
      f,
      ALICE.username,
      ALICE.password,
      xff('x', '2001:db8:aa:bb:ffff::1'),
    );
    expect(other.status).toBe(401);
    const { rows } = await s.server.db.query<{ key: string; locked: boolean }>(
      "SELECT key, locked_until IS NOT NULL AS locked FROM login_throttle WHERE key LIKE '2001%'",
    );
    expect(rows).toEqual([{ key: '2001:db8:aa:bb::/64', locked: true }]);
  });
});
