import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/lib/duration.js';
import { elevationView, goDuration, roleView } from '../../src/http/portal/access-view.js';
import type { Elevation } from '../../src/security/index.js';

/** What /home/access shows of roles and requests, computed without I/O. */
describe('/home/access view data', () => {
  it.each([
    [60, '1m'],
    [1800, '30m'],
    [3600, '1h'],
    [5400, '1h30m'],
    [86_400, '24h'],
    [3661, '1h1m1s'],
  ])('%d s reads as %s, and parses back as the same duration', (sec, text) => {
    expect(goDuration(sec)).toBe(text);
    expect(parseDuration(text)).toBe(sec * 1000);
  });

  it('a self-approved role that requires MFA asks for the code; an approver role names its groups', () => {
    const base = { group: 'g', maxDurationSec: 1800, clusters: [] } as const;
    const self = roleView({
      ...base,
      name: 'break-glass',
      approval: 'self',
      approverGroups: [],
      requireMFA: true,
    });
    expect(self).toMatchObject({ max: '30m', needsCode: true });
    const approved = roleView({
      ...base,
      name: 'admin',
      approval: 'approvers',
      approverGroups: ['sre', 'leads'],
      requireMFA: true,
    });
    expect(approved.needsCode).toBe(false);
    expect(approved.approval).toBe('approved by a member of sre, leads');
  });

  const at = (iso: string) => new Date(iso);
  const pending: Elevation = {
    id: 'el_AAAAAAAAAAAAAAAAAAAAAA',
    sub: 's1',
    username: 'rita',
    role: 'admin',
    group: 'cluster-admins',
    clusters: [],
    reason: 'INC-1',
    durationSec: 1200,
    state: 'pending',
    requestedAt: at('2026-12-05T10:00:00Z'),
    pendingUntil: at('2026-12-05T11:00:00Z'),
    decidedAt: undefined,
    decidedBy: undefined,
    comment: undefined,
    startsAt: undefined,
    endsAt: undefined,
    endedAt: undefined,
    endedBy: undefined,
  };
  const names = (a: { id: string }) => (a.id === 's2' ? 'abe' : 'someone');

  it('a pending request past its deadline reads as expired and cannot be withdrawn', () => {
    const before = elevationView(pending, at('2026-12-05T10:59:59Z'), names);
    expect(before).toMatchObject({ state: 'pending', endable: true, duration: '20m' });
    const after = elevationView(pending, at('2026-12-05T11:00:00Z'), names);
    expect(after).toMatchObject({ state: 'expired', stateText: 'Expired', endable: false });
  });

  it('an active grant shows who approved it and reads as expired at its end', () => {
    const active: Elevation = {
      ...pending,
      state: 'active',
      decidedAt: at('2026-12-05T10:05:00Z'),
      decidedBy: { kind: 'person', id: 's2' },
      comment: 'ok',
      startsAt: at('2026-12-05T10:05:00Z'),
      endsAt: at('2026-12-05T10:25:00Z'),
    };
    const now = elevationView(active, at('2026-12-05T10:10:00Z'), names);
    expect(now).toMatchObject({ state: 'active', endable: true, decidedBy: 'abe' });
    expect(now.ends).toEqual({ text: '2026-12-05 10:25 UTC', iso: '2026-12-05T10:25:00.000Z' });
    expect(elevationView(active, at('2026-12-05T10:25:00Z'), names).state).toBe('expired');
  });
});
