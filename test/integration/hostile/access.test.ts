import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAuditEvents } from '../../../src/storage/index.js';
import type { Client } from '../../support/http-client.js';
import { hiddenInput, type Res } from '../../support/http-client.js';
import { pollUntil } from '../../support/poll.js';
import { signInHome } from '../../support/sessions.js';
import {
  aliceEntry,
  ALICE,
  flushAllAudit,
  startTestSigil,
  type TestSigil,
} from '../../support/sigil.js';
import {
  enc,
  expectClientError,
  form,
  hostileSigil,
  INJECTIONS,
  LONG,
  serverErrors,
  XSS,
} from './support.js';

/**
 * /home/access under hostile form posts (issue 16, "Bad input"): a post without the CSRF
 * token or with someone else's, a forged or injected request id, an empty or 10 kB reason,
 * durations over the maximum, negative, zero or not durations at all, a role one may not ask
 * for, ending or deciding someone else's request, approving one's own, approving twice. Each
 * answer is a readable page with a 4xx, the refusal is audited, and no grant comes of it:
 * the only active grant at the end is the one an approver approved.
 */

const PEOPLE = {
  rita: { id: 'a1000000-0000-4000-8000-000000000001', groups: ['ac-devs'] },
  abe: { id: 'a1000000-0000-4000-8000-000000000002', groups: ['ac-devs', 'ac-approvers'] },
  bo: { id: 'a1000000-0000-4000-8000-000000000003', groups: ['ac-dbas'] },
  cy: { id: 'a1000000-0000-4000-8000-000000000004', groups: ['ac-others'] },
} as const;
type Name = keyof typeof PEOPLE;

const STATIC = await Promise.all(
  (Object.keys(PEOPLE) as Name[]).map((u) =>
    aliceEntry({
      username: u,
      email: `${u}@example.com`,
      userID: PEOPLE[u].id,
      name: u,
      groups: [...PEOPLE[u].groups],
    }),
  ),
);

const ELEVATION = {
  roles: [
    {
      name: 'admin',
      group: 'ac-cluster-admins',
      eligible: ['ac-devs'],
      maxDuration: '1h',
      approval: { approvers: ['ac-approvers'] },
      requireMFA: false,
    },
    {
      name: 'db-admin',
      group: 'ac-db-admins',
      eligible: ['ac-dbas'],
      maxDuration: '2h',
      approval: { approvers: ['ac-approvers'] },
      requireMFA: false,
    },
  ],
};

/** The readable message of an HTML answer (its alert, else its lead paragraph). */
function message(r: Res): string {
  const m = /role="alert"[^>]*>(?:<p>)?([^<]*)/.exec(r.text);
  return m?.[1]?.trim() ?? '';
}

describe('/home/access: hostile form posts', { timeout: 120_000 }, () => {
  const s = hostileSigil('pglite', { staticPasswords: STATIC, elevation: ELEVATION });
  const browsers = new Map<Name, Client>();

  async function browser(name: Name): Promise<Client> {
    let c = browsers.get(name);
    if (c === undefined) {
      c = s.client();
      await signInHome(c, { username: name, password: ALICE.password });
      browsers.set(name, c);
    }
    return c;
  }

  async function csrfOf(name: Name): Promise<string> {
    const page = await (await browser(name)).get('/home/access');
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    return hiddenInput(page.text, 'csrf');
  }

  async function post(name: Name, fields: Record<string, string>): Promise<Res> {
    return (await browser(name)).post('/home/access', { csrf: await csrfOf(name), ...fields });
  }

  const ask = (name: Name, over: Record<string, string> = {}) =>
    post(name, { action: 'request', role: 'admin', duration: '30m', reason: 'INC-1', ...over });

  /** The ids of a person's requests in a state, as their page lists them. */
  async function idsOf(name: Name, state: 'pending' | 'active'): Promise<string[]> {
    const rows = await s.server.db.query<{ id: string }>(
      'SELECT id FROM login_elevations WHERE sub = $1 AND state = $2 ORDER BY requested_at',
      [PEOPLE[name].id, state],
    );
    return rows.rows.map((r) => r.id);
  }

  async function activeCount(): Promise<number> {
    const r = await s.server.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM login_elevations WHERE state = 'active'",
    );
    return Number(r.rows[0]?.n ?? -1);
  }

  async function refusals(): Promise<string[]> {
    await flushAllAudit();
    const rows = await queryAuditEvents(s.server.db, { event: 'elevation.refused', limit: 500 });
    return rows.map((r) => String(r.reason ?? r.details['reason']));
  }

  it('a post without the CSRF token, with another person’s, or without a session files nothing', async () => {
    const rita = await browser('rita');
    const bare = await rita.post('/home/access', {
      action: 'request',
      role: 'admin',
      duration: '30m',
      reason: 'no token',
    });
    expectClientError(bare, 'no csrf');
    expect(bare.status).toBe(403);
    expect(bare.text).toContain('The form could not be verified');
    const borrowed = await rita.post('/home/access', {
      csrf: await csrfOf('abe'),
      action: 'request',
      role: 'admin',
      duration: '30m',
      reason: 'abe’s token',
    });
    expect(borrowed.status).toBe(403);
    // A cross-site post carries no session: it is sent to sign in, nothing is filed.
    const anonymous = await form(
      s.client(),
      '/home/access',
      'action=request&role=admin&duration=30m&reason=x',
    );
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).not.toContain('/home/access?done');
    expect(await idsOf('rita', 'pending')).toEqual([]);
    expect((await refusals()).filter((r) => r === 'csrf')).toHaveLength(2);
  });

  it.each([
    ['an empty reason', { reason: '' }, 'reason', 400],
    ['a 10 kB reason', { reason: 'x'.repeat(10 * 1024) }, 'reason', 400],
    ['a duration over the maximum', { duration: '2h' }, 'duration', 400],
    ['a negative duration', { duration: '-5m' }, 'duration', 400],
    ['a zero duration', { duration: '0s' }, 'duration', 400],
    ['not a duration', { duration: 'soon' }, 'duration', 400],
    ['an absurd duration', { duration: '9'.repeat(30) + 'h' }, 'duration', 400],
    ['a role that does not exist', { role: 'root' }, 'role', 403],
  ] as const)('%s is refused on the page, tied to its field', async (_what, over, field, code) => {
    const before = (await refusals()).length;
    const r = await ask('rita', over);
    expectClientError(r, _what);
    expect([code, 404]).toContain(r.status);
    expect(message(r).length, r.text.slice(0, 500)).toBeGreaterThan(10);
    expect(r.text).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
    // The form comes back as it was sent (within what the field holds), so it can be fixed.
    if (field !== 'reason') expect(r.text).toContain('INC-1');
    expect((await refusals()).length).toBe(before + 1);
    expect(await idsOf('rita', 'pending')).toEqual([]);
  });

  it('a body over the size limit is refused before anyone reads it, never a 500', async () => {
    const r = await ask('rita', { reason: LONG.repeat(20) });
    expectClientError(r, '2 MB body');
    expect(r.status).toBe(413);
    expect(await idsOf('rita', 'pending')).toEqual([]);
  });

  it('someone not eligible for a role cannot ask for it, whatever they post', async () => {
    const r = await ask('bo');
    expectClientError(r, 'bystander');
    expect(r.status).toBe(403);
    expect(message(r)).not.toBe('');
    expect(r.text).toMatch(/id="role"[^>]*aria-invalid="true"/);
    expect(await idsOf('bo', 'pending')).toEqual([]);
    expect((await refusals()).at(-1)).toBe('not_eligible');
    // Rita's 2h is within db-admin's maximum, but db-admin is not hers to ask for.
    const other = await ask('rita', { role: 'db-admin', duration: '2h' });
    expect(other.status).toBe(403);
    expect(await idsOf('rita', 'pending')).toEqual([]);
  });

  it('someone with nothing to ask for or decide gets no link, no form, and no way in', async () => {
    const cy = await browser('cy');
    const home = await cy.get('/home');
    expect(home.text).not.toContain('/home/access');
    expect((await (await browser('rita')).get('/home')).text).toContain('/home/access');
    const page = await cy.get('/home/access');
    expect(page.status).toBe(200);
    expect(page.text).toContain('There is nothing you can ask for');
    expect(page.text).not.toContain('<form');
    const r = await cy.post('/home/access', {
      action: 'request',
      role: 'admin',
      duration: '5m',
      reason: 'x',
    });
    expect(r.status).toBe(403);
    expect(await idsOf('cy', 'pending')).toEqual([]);
  });

  it('forged and injected ids are a readable not-found, never a 500 and never reflected raw', async () => {
    const forged = await post('abe', { action: 'approve', id: 'el_AAAAAAAAAAAAAAAAAAAAAA' });
    expectClientError(forged, 'forged id');
    expect(forged.status).toBe(404);
    for (const id of [...INJECTIONS, '', 'el_', '../../etc/passwd', 'x'.repeat(5000)]) {
      for (const action of ['approve', 'deny', 'end']) {
        const r = await post('abe', { action, id });
        expectClientError(r, `${action} ${enc(id).slice(0, 40)}`);
        expect(r.text).not.toContain(XSS);
      }
    }
    for (const action of ['promote', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const unknown = await post('rita', { action });
      expect(unknown.status, action).toBe(400);
      expect(message(unknown)).toBe('Unknown action.');
    }
    // The same names on /home/security, the page whose form style this one follows.
    const security = await (await browser('rita')).get('/home/security');
    for (const action of ['__proto__', 'constructor', 'toString']) {
      const r = await (
        await browser('rita')
      ).post('/home/security', { csrf: hiddenInput(security.text, 'csrf'), action });
      expectClientError(r, `/home/security ${action}`);
      expect(r.status, action).toBe(400);
    }
    for (const done of ['constructor', '__proto__', 'toString', XSS]) {
      const page = await (await browser('rita')).get(`/home/access?done=${enc(done)}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('role="status"');
    }
  });

  it('nobody but an approver decides, a person cannot end another’s request, approvers cannot approve their own', async () => {
    const filed = await ask('rita', { reason: 'INC-2 rollout stuck' });
    expect(filed.status, filed.text.slice(0, 300)).toBe(303);
    expect(filed.location).toMatch(/\/home\/access\?done=requested$/);
    const [id] = await idsOf('rita', 'pending');
    expect(id).toMatch(/^el_[A-Za-z0-9_-]{22}$/);
    const before = await refusals();

    const byBystander = await post('bo', { action: 'approve', id: id! });
    expectClientError(byBystander, 'bystander approves');
    expect([403, 404]).toContain(byBystander.status);
    const byRequester = await post('rita', { action: 'approve', id: id! });
    expect([403, 404]).toContain(byRequester.status);
    const endByOther = await post('bo', { action: 'end', id: id! });
    expectClientError(endByOther, 'bystander ends');
    expect([403, 404]).toContain(endByOther.status);
    expect(await idsOf('rita', 'pending')).toEqual([id]);

    // A 10 kB comment: refused, tied to that request's comment field, still pending.
    const long = await post('abe', { action: 'approve', id: id!, comment: 'c'.repeat(10 * 1024) });
    expectClientError(long, 'long comment');
    expect(long.status).toBe(400);
    expect(long.text).toMatch(new RegExp(`id="comment-${id!}"[^>]*aria-invalid="true"`));
    expect(await idsOf('rita', 'pending')).toEqual([id]);

    const own = await ask('abe', { reason: 'my own' });
    expect(own.status).toBe(303);
    const [abes] = await idsOf('abe', 'pending');
    const selfApproved = await post('abe', { action: 'approve', id: abes! });
    expectClientError(selfApproved, 'approve own');
    expect(selfApproved.status).toBe(403);
    expect(message(selfApproved)).not.toBe('');
    expect(await activeCount()).toBe(0);
    // Each refusal is audited: three by people who may not touch the request (not visible to
    // them, or not theirs to decide), the long comment, and the approver's own request.
    const after = (await refusals()).slice(before.length);
    expect(after).toHaveLength(5);
    expect(after).toContain('own_request');
    for (const r of after)
      expect(['not_found', 'not_approver', 'own_request', 'bad_reason']).toContain(r);
  });

  it('approving twice: the second is a readable conflict; the one grant is the approved one', async () => {
    const [id] = await idsOf('rita', 'pending');
    const ok = await post('abe', { action: 'approve', id: id!, comment: XSS });
    expect(ok.status, ok.text.slice(0, 300)).toBe(303);
    expect(ok.location).toMatch(/done=approved$/);
    const again = await post('abe', { action: 'approve', id: id! });
    expectClientError(again, 'approve twice');
    expect(again.status).toBe(409);
    const deny = await post('abe', { action: 'deny', id: id! });
    expect(deny.status).toBe(409);
    expect(await idsOf('rita', 'active')).toEqual([id]);
    expect(await activeCount()).toBe(1);
    // The requester's page shows the comment escaped, and the pickup note.
    const page = await (await browser('rita')).get('/home/access');
    expect(page.text).not.toContain(XSS);
    expect(page.text).toContain('kubectl oidc-login clean');
  });

  it('the requester ends it early; ending it again is a conflict', async () => {
    const [id] = await idsOf('rita', 'active');
    const end = await post('rita', { action: 'end', id: id! });
    expect(end.status).toBe(303);
    expect(end.location).toMatch(/done=ended$/);
    const again = await post('rita', { action: 'end', id: id! });
    expectClientError(again, 'end twice');
    expect(again.status).toBe(409);
    expect(await activeCount()).toBe(0);
  });
});

describe('/home/access: a request nobody decided in time', { timeout: 60_000 }, () => {
  const s = hostileSigil('pglite', {
    staticPasswords: STATIC,
    elevation: { ...ELEVATION, pendingTimeout: '1s' },
  });

  it('cannot be approved after its deadline: a readable conflict, audited, no grant', async () => {
    const rita = s.client();
    await signInHome(rita, { username: 'rita', password: ALICE.password });
    const abe = s.client();
    await signInHome(abe, { username: 'abe', password: ALICE.password });
    const page = await rita.get('/home/access');
    const filed = await rita.post('/home/access', {
      csrf: hiddenInput(page.text, 'csrf'),
      action: 'request',
      role: 'admin',
      duration: '5m',
      reason: 'INC-3: slow approvers',
    });
    expect(filed.status).toBe(303);
    const { rows } = await s.server.db.query<{ id: string }>(
      'SELECT id FROM login_elevations WHERE sub = $1',
      [PEOPLE.rita.id],
    );
    const id = rows[0]?.id ?? '';
    const csrf = hiddenInput((await abe.get('/home/access')).text, 'csrf');
    await pollUntil(
      async () =>
        (
          await s.server.db.query<{ over: boolean }>(
            'SELECT pending_until < now() AS over FROM login_elevations WHERE id = $1',
            [id],
          )
        ).rows[0]?.over,
      (over) => over === true,
      { what: 'the request passes its deadline' },
    );
    const late = await abe.post('/home/access', { csrf, action: 'approve', id });
    expectClientError(late, 'approve after the deadline');
    expect(late.status).toBe(409);
    expect(message(late)).not.toBe('');
    const mine = await rita.get('/home/access');
    expect(mine.text).toContain('admin · Expired');
    expect(mine.text).not.toContain('>Withdraw<');
    const active = await s.server.db.query("SELECT 1 FROM login_elevations WHERE state = 'active'");
    expect(active.rows).toEqual([]);
    await flushAllAudit();
    const refused = await queryAuditEvents(s.server.db, { event: 'elevation.refused', limit: 10 });
    expect(refused.map((r) => r.reason ?? r.details['reason'])).toEqual(
      expect.arrayContaining([expect.stringMatching(/request_expired|not_pending/)]),
    );
  });
});

describe('/home/access under an issuer with a path (https://host/dex)', { timeout: 60_000 }, () => {
  let s: TestSigil | undefined;
  beforeAll(async () => {
    s = await startTestSigil(
      'pglite',
      { staticPasswords: STATIC, elevation: ELEVATION },
      { issuerPath: '/dex' },
    );
  });
  afterAll(async () => {
    if (s === undefined) return;
    expect(serverErrors(s)).toEqual([]);
    await s.close();
  });

  it('links, posts and redirects under the path', async () => {
    const rita = s!.client();
    const home = await signInHome(rita, { username: 'rita', password: ALICE.password });
    expect(home.text).toContain('href="/dex/home/access"');
    const page = await rita.get('/dex/home/access');
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/dex/home/access"');
    const filed = await rita.post('/dex/home/access', {
      csrf: hiddenInput(page.text, 'csrf'),
      action: 'request',
      role: 'admin',
      duration: '5m',
      reason: 'INC-5',
    });
    expect(filed.status).toBe(303);
    expect(filed.location).toBe('/dex/home/access?done=requested');
    expect((await rita.get(filed.location!)).text).toContain('Your request is filed');
  });
});
