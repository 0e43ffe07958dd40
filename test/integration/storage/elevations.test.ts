import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import {
  createAudit,
  createElevations,
  createRevocations,
  isElevationRefused,
  resolveRoles,
  type Audit,
  type ElevationPerson,
  type Elevations,
} from '../../../src/security/index.js';
import {
  addElevationSid,
  findIdentity,
  listLiveRevocations,
  migrate,
  queryAuditEvents,
  saveIdentity,
} from '../../../src/storage/index.js';
import { STORAGE_BACKENDS } from './backends.js';
import type { ConformanceDb } from './conformance.js';

const T0 = new Date('2026-12-05T10:00:00Z');

const config = configSchema.parse({
  issuer: 'https://sigil.example.com',
  web: { http: '127.0.0.1:0', proxy: true },
  enablePasswordDB: true,
  staticClients: [{ id: 'kubectl', public: true, redirectURIs: ['http://localhost'] }],
  clusters: [{ name: 'prod', server: 'https://api.example.com', clientID: 'kubectl' }],
  admin: { groups: ['sigil-admins'] },
  elevation: {
    roles: [
      {
        name: 'cluster-admin',
        group: 'elevated:cluster-admin',
        eligible: ['devs'],
        maxDuration: '1h',
        approval: { approvers: ['sre'] },
        clusters: ['prod'],
      },
      {
        name: 'break-glass',
        group: 'elevated:break-glass',
        eligible: ['sre'],
        maxDuration: '30m',
        approval: 'self',
      },
    ],
    pendingTimeout: '10m',
    freshFactor: '5m',
  },
});

const alice: ElevationPerson = { sub: 'u-alice', username: 'alice', groups: ['devs'] };
const bob: ElevationPerson = { sub: 'u-bob', username: 'bob', groups: ['sre'] };
const carol: ElevationPerson = { sub: 'u-carol', username: 'carol', groups: ['sre', 'devs'] };
const eve: ElevationPerson = { sub: 'u-eve', username: 'eve', groups: ['visitors'] };

/** The refusal reason of a promise that must be refused. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isElevationRefused(err)) return err.reason;
    throw err;
  }
  throw new Error('not refused');
}

/**
 * The elevation service on the login_elevations table (migrations/0009), PostgreSQL and
 * PGlite: requests, decisions that only one decider wins, ends, expiry, deny entries, and the
 * active grants the identities read carries for the token path.
 */
describe.each(STORAGE_BACKENDS)('elevations on %s', (_name, open) => {
  let h: ConformanceDb;
  let audit: Audit;
  let clock = T0;
  let svc: Elevations;
  const make = (now: () => Date) =>
    createElevations({
      db: h.db,
      roles: resolveRoles(config.elevation),
      pendingTimeoutMs: config.elevation.pendingTimeout,
      freshFactorMs: config.elevation.freshFactor,
      adminGroups: config.admin.groups,
      audit,
      deny: createRevocations({
        policy: { maxTokenLifetimeMs: 600_000, clockSkewMs: 300_000 },
        now,
      }),
      clockSkewMs: 300_000,
      now,
    });
  const events = async (event: string) => {
    await audit.flush();
    return queryAuditEvents(h.db, { event, limit: 100 });
  };
  beforeAll(async () => {
    h = await open('elevations');
    await migrate(h.db);
    audit = createAudit(
      h.db,
      createLogger({ level: 'silent', format: 'json', destination: new PassThrough() }),
    );
  });
  afterAll(async () => {
    await audit.close();
    await h.cleanup();
  });
  beforeEach(async () => {
    clock = T0;
    svc = make(() => clock);
    await h.db.query('DELETE FROM login_elevations');
    await h.db.query('DELETE FROM login_revocations');
    await h.db.query('DELETE FROM audit_events');
  });

  it('lists the roles one may ask for, and who approves', () => {
    expect(svc.rolesFor(alice).map((r) => r.name)).toEqual(['cluster-admin']);
    expect(svc.rolesFor(carol).map((r) => r.name)).toEqual(['cluster-admin', 'break-glass']);
    expect(svc.rolesFor(eve)).toEqual([]);
    expect(svc.mayApprove(bob, 'cluster-admin')).toBe(true);
    expect(svc.mayApprove(alice, 'cluster-admin')).toBe(false);
    expect(svc.mayApprove(bob, 'break-glass')).toBe(false);
    expect(svc.seesAll(bob)).toBe(true);
    expect(svc.seesAll(alice)).toBe(false);
    expect(svc.seesAll({ ...eve, groups: ['sigil-admins'] })).toBe(true);
  });

  it('files a request, an approver approves it once, and it is active for its duration', async () => {
    const r = await svc.request(alice, { role: 'cluster-admin', duration: '30m', reason: 'INC-1' });
    expect(r).toMatchObject({ state: 'pending', role: 'cluster-admin', durationSec: 1800 });
    expect(r.id).toMatch(/^el_[A-Za-z0-9_-]{22}$/);
    expect((await svc.pendingFor(bob)).map((e) => e.id)).toEqual([r.id]);
    expect(await svc.pendingFor(carol)).toHaveLength(1);
    expect(await svc.pendingFor(alice)).toHaveLength(0);
    clock = new Date(T0.getTime() + 60_000);
    const a = await svc.approve(r.id, bob, 'ok');
    expect(a).toMatchObject({ state: 'active', comment: 'ok', decidedBy: { id: 'u-bob' } });
    expect(a.endsAt?.getTime()).toBe(clock.getTime() + 1_800_000);
    expect(await refusal(svc.approve(r.id, carol))).toBe('not_pending');
    expect(await refusal(svc.deny(r.id, bob))).toBe('not_pending');
    const requested = await events('elevation.requested');
    expect(requested[0]?.details).toMatchObject({ reason: 'INC-1', durationSec: 1800 });
    expect(await events('elevation.approved')).toHaveLength(1);
    expect(await events('elevation.activated')).toHaveLength(1);
    expect((await events('elevation.refused')).map((e) => e.reason)).toEqual([
      'not_pending',
      'not_pending',
    ]);
  });

  it('refuses bad requests with a reason, audited, and stores nothing', async () => {
    const cases: [ElevationPerson, Parameters<Elevations['request']>[1], string][] = [
      [eve, { role: 'cluster-admin', duration: '30m', reason: 'x' }, 'not_eligible'],
      [alice, { role: 'nope', duration: '30m', reason: 'x' }, 'unknown_role'],
      [alice, { role: 'cluster-admin', duration: '2h', reason: 'x' }, 'bad_duration'],
      [alice, { role: 'cluster-admin', duration: '-30m', reason: 'x' }, 'bad_duration'],
      [alice, { role: 'cluster-admin', duration: 0, reason: 'x' }, 'bad_duration'],
      [alice, { role: 'cluster-admin', duration: 'soon', reason: 'x' }, 'bad_duration'],
      [alice, { role: 'cluster-admin', duration: '30m', reason: '  ' }, 'bad_reason'],
      [alice, { role: 'cluster-admin', duration: '30m', reason: 'x'.repeat(10_240) }, 'bad_reason'],
      [alice, { role: 'cluster-admin', duration: '30m', reason: 'a\u0000b' }, 'bad_reason'],
      [carol, { role: 'break-glass', duration: '10m', reason: 'x' }, 'mfa_required'],
    ];
    for (const [who, input, why] of cases) expect(await refusal(svc.request(who, input))).toBe(why);
    const { rows } = await h.db.query('SELECT id FROM login_elevations');
    expect(rows).toHaveLength(0);
    expect((await events('elevation.refused')).map((e) => e.reason).sort()).toEqual(
      cases.map((c) => c[2]).sort(),
    );
  });

  it('self approval needs a fresh second factor, and then is active at once', async () => {
    const stale = { ...carol, factorAt: new Date(T0.getTime() - 6 * 60_000) };
    expect(
      await refusal(svc.request(stale, { role: 'break-glass', duration: '10m', reason: 'x' })),
    ).toBe('mfa_required');
    const fresh = { ...carol, factorAt: new Date(T0.getTime() - 60_000) };
    const r = await svc.request(fresh, { role: 'break-glass', duration: '10m', reason: 'page' });
    expect(r.state).toBe('active');
    expect(r.decidedBy).toEqual({ kind: 'person', id: 'u-carol' });
  });

  it('refuses own approvals, bystanders, forged ids and late approvals', async () => {
    const r = await svc.request(carol, { role: 'cluster-admin', duration: '5m', reason: 'x' });
    expect(await refusal(svc.approve(r.id, carol))).toBe('own_request');
    expect(await refusal(svc.approve(r.id, eve))).toBe('not_found');
    expect(await refusal(svc.approve(r.id, alice))).toBe('not_found');
    expect(await refusal(svc.approve('el_AAAAAAAAAAAAAAAAAAAAAA', bob))).toBe('not_found');
    expect(await refusal(svc.approve("el_'; DROP TABLE x; --", bob))).toBe('not_found');
    expect(await svc.get(r.id, eve)).toBeUndefined();
    expect((await svc.get(r.id, bob))?.id).toBe(r.id);
    clock = new Date(T0.getTime() + 11 * 60_000);
    expect(await refusal(svc.approve(r.id, bob))).toBe('request_expired');
    expect((await svc.get(r.id, carol))?.state).toBe('expired');
    const { rows } = await h.db.query<{ state: string }>('SELECT state FROM login_elevations');
    expect(rows).toEqual([{ state: 'pending' }]);
    expect(await svc.sweep()).toBe(1);
    expect(await svc.sweep()).toBe(0);
    expect(await events('elevation.expired')).toHaveLength(1);
  });

  it('two replicas approving at once: exactly one wins', async () => {
    const other = make(() => clock);
    const r = await svc.request(alice, { role: 'cluster-admin', duration: '5m', reason: 'x' });
    const results = await Promise.allSettled([
      svc.approve(r.id, bob),
      other.approve(r.id, carol),
      other.deny(r.id, bob),
    ]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
  });

  it('the identities read carries the active grants; an early end writes deny entries for its logins', async () => {
    await saveIdentity(h.db, 'local', { userId: 'u-alice', username: 'alice' });
    // The identities read compares with the database's clock: this case runs on real time.
    clock = new Date();
    const r = await svc.request(alice, { role: 'cluster-admin', duration: '30m', reason: 'x' });
    expect((await findIdentity(h.db, 'u-alice'))?.elevations).toEqual([]);
    await svc.approve(r.id, bob);
    const active = (await findIdentity(h.db, 'u-alice'))?.elevations ?? [];
    expect(active.map((e) => [e.id, e.group, e.clusters])).toEqual([
      [r.id, 'elevated:cluster-admin', ['prod']],
    ]);
    expect(await addElevationSid(h.db, [r.id], 'sid-1')).toBe(1);
    expect(await addElevationSid(h.db, [r.id], 'sid-1')).toBe(0);
    const ended = await svc.end(r.id, alice, 'done');
    expect(ended.state).toBe('ended');
    expect(await refusal(svc.end(r.id, alice))).toBe('not_active');
    // Just ended: read along (so a refresh of this second waits), no longer active.
    const after = (await findIdentity(h.db, 'u-alice'))?.elevations ?? [];
    expect(after.map((e) => [e.id, e.state])).toEqual([[r.id, 'ended']]);
    expect(after[0]?.endedAt?.getTime()).toBe(clock.getTime());
    const live = await listLiveRevocations(h.db, clock);
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ kind: 'session', sid: 'sid-1', sub: 'u-alice' });
    // The end, and a second after it (a refresh that read the grant just before the end).
    expect(live[0]?.kind === 'session' ? live[0].notBefore?.getTime() : 0).toBe(
      clock.getTime() + 1000,
    );
    expect(await events('elevation.ended')).toHaveLength(1);
  });

  it('the requester withdraws a pending request; others cannot end it', async () => {
    const r = await svc.request(alice, { role: 'cluster-admin', duration: '5m', reason: 'x' });
    expect(await refusal(svc.end(r.id, bob))).toBe('not_active');
    expect((await svc.end(r.id, alice)).state).toBe('ended');
    expect(await refusal(svc.approve(r.id, bob))).toBe('not_pending');
  });

  it('lists newest first with a cursor, by user and by state', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock = new Date(T0.getTime() + i * 1000);
      ids.push(
        (await svc.request(alice, { role: 'cluster-admin', duration: 60, reason: `r${String(i)}` }))
          .id,
      );
    }
    await svc.approve(ids[1] ?? '', bob);
    const page1 = await svc.list({ limit: 2 });
    expect(page1.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    const page2 = await svc.list({ limit: 2, after: page1[1]?.id });
    expect(page2.map((e) => e.id)).toEqual([ids[0]]);
    expect((await svc.list({ limit: 10, states: ['active'] })).map((e) => e.id)).toEqual([ids[1]]);
    expect(await svc.list({ limit: 10, username: 'ALICE' })).toHaveLength(3);
    expect(await svc.list({ limit: 10, username: 'bob' })).toHaveLength(0);
  });
});
