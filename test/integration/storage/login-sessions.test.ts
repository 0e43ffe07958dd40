import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countActiveLoginSessions,
  endLoginSessions,
  findLoginSession,
  insertLoginSession,
  listLoginSessions,
  migrate,
  saveIdentity,
  subsOfUsername,
  touchLoginSessions,
} from '../../../src/storage/index.js';
import { LastUseTracker } from '../../../src/security/index.js';
import { STORAGE_BACKENDS } from './backends.js';
import type { ConformanceDb } from './conformance.js';

const HOUR = 3_600_000;
const later = (ms: number) => new Date(Date.now() + ms);

describe.each(STORAGE_BACKENDS)('login_sessions storage (%s)', (_name, open) => {
  let o: ConformanceDb;
  beforeAll(async () => {
    o = await open('sessions');
    await migrate(o.db);
    await saveIdentity(o.db, 'local', { userId: 'sub-a', username: 'Alice' });
    await saveIdentity(o.db, 'ldap', { userId: 'sub-b', username: 'bob' });
  });
  afterAll(async () => {
    await o.cleanup();
  });

  const start = (id: string, sub: string, clientId = 'kubectl', at = new Date()) =>
    insertLoginSession(o.db, {
      id,
      grantId: `grant-${id}`,
      sub,
      clientId,
      audiences: [clientId, 'peer'],
      grantType: 'authorization_code',
      amr: ['pwd'],
      userAgent: 'kubelogin/v1',
      device: 'kubelogin',
      ip: '192.0.2.1',
      idleExpiresAt: later(HOUR),
      expiresAt: later(24 * HOUR),
      at,
    });

  it('records a login with the identity’s connector and username, once', async () => {
    await start('s1', 'sub-a');
    await start('s1', 'sub-a');
    const s = await findLoginSession(o.db, 's1');
    expect(s).toMatchObject({
      id: 's1',
      grantId: 'grant-s1',
      sub: 'sub-a',
      connectorId: 'local',
      username: 'Alice',
      audiences: ['kubectl', 'peer'],
      amr: ['pwd'],
      ipFirst: '192.0.2.1',
      ipLast: '192.0.2.1',
    });
    expect(s?.endedAt).toBeUndefined();
    expect(await subsOfUsername(o.db, 'ALICE')).toEqual(['sub-a']);
  });

  it('writes coalesced uses in one flush: the latest time and address win', async () => {
    await start('s2', 'sub-a', 'web', new Date(Date.now() - HOUR));
    const tracker = new LastUseTracker(o.db);
    const t1 = new Date(Date.now() - 1000);
    const t2 = new Date();
    tracker.touch({ id: 's2', at: t2, ip: '198.51.100.2', idleExpiresAt: later(2 * HOUR) });
    tracker.touch({ id: 's2', at: t1, ip: '198.51.100.1', idleExpiresAt: later(HOUR) });
    tracker.touch({ id: 'unknown', at: t2, ip: undefined, idleExpiresAt: undefined });
    expect(tracker.pending).toBe(2);
    expect(await tracker.flush()).toBe(2);
    expect(tracker.pending).toBe(0);
    const s = await findLoginSession(o.db, 's2');
    expect(s?.lastUsedAt.getTime()).toBe(t2.getTime());
    expect(s?.ipLast).toBe('198.51.100.2');
    expect(s?.ipFirst).toBe('192.0.2.1');
    await touchLoginSessions(o.db, []);
  });

  it('lists newest use first, filters by username (any case) and client, pages by cursor', async () => {
    await start('s3', 'sub-b', 'kubectl', new Date(Date.now() - 2 * HOUR));
    const all = await listLoginSessions(o.db, { limit: 10 });
    expect(all.map((s) => s.id)).toEqual(['s2', 's1', 's3']);
    expect(
      (await listLoginSessions(o.db, { username: 'aLiCe', limit: 10 })).map((s) => s.id),
    ).toEqual(['s2', 's1']);
    expect(
      (await listLoginSessions(o.db, { clientId: 'web', limit: 10 })).map((s) => s.id),
    ).toEqual(['s2']);
    const page1 = await listLoginSessions(o.db, { limit: 2 });
    const page2 = await listLoginSessions(o.db, { limit: 2, after: page1[1]!.id });
    expect([...page1, ...page2].map((s) => s.id)).toEqual(['s2', 's1', 's3']);
    expect(await listLoginSessions(o.db, { username: "' OR '1'='1", limit: 10 })).toEqual([]);
  });

  it('ends a session once: a second end (another replica) ends nothing', async () => {
    const end = { reason: 'test', endedBy: { kind: 'operator', id: 'root' } };
    const [a, b] = await Promise.all([
      endLoginSessions(o.db, { id: 's3' }, end),
      endLoginSessions(o.db, { id: 's3' }, end),
    ]);
    expect(a.length + b.length).toBe(1);
    const s = await findLoginSession(o.db, 's3');
    expect(s).toMatchObject({ endReason: 'test', endedBy: { kind: 'operator', id: 'root' } });
    expect(s?.endedAt).toBeInstanceOf(Date);
    expect(await listLoginSessions(o.db, { sub: 'sub-b', limit: 10 })).toEqual([]);
    expect(
      await listLoginSessions(o.db, { sub: 'sub-b', activeOnly: false, limit: 10 }),
    ).toHaveLength(1);
  });

  it('ends all of a person but one, or of one client; counts the active ones', async () => {
    expect(await countActiveLoginSessions(o.db)).toBe(2);
    const end = { reason: 'x', endedBy: { kind: 'person', id: 'sub-a' } };
    const web = await endLoginSessions(
      o.db,
      { subs: ['sub-a'], clientId: 'web', exceptId: 's1' },
      end,
    );
    expect(web.map((s) => s.id)).toEqual(['s2']);
    expect(await endLoginSessions(o.db, { subs: ['sub-a'], exceptId: 's1' }, end)).toEqual([]);
    expect(await endLoginSessions(o.db, { subs: [] }, end)).toEqual([]);
    expect(await countActiveLoginSessions(o.db)).toBe(1);
  });
});
