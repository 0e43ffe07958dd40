import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, apiConfig, ApiContract, BOB, clientToken, OPS } from '../../support/api.js';
import { sigilAsync } from '../../support/cli.js';
import { hiddenInput } from '../../support/http-client.js';
import { refreshGrant, type RefreshableTokens, type Tokens } from '../../support/oidc-flow.js';
import {
  confirmEnding,
  sidOf,
  signInThreeDevices,
  writeConfigFile,
  type ThreeDevices,
} from '../../support/sessions.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';

interface SessionItem {
  id: string;
  user: string;
  client: string;
  device: string;
  created: string;
  lastUsed: string;
}

describe('sessions end to end: two people, three devices each (postgres)', () => {
  let s: TestSigil;
  let dir: string;
  let configFile: string;
  let contract: ApiContract;
  let ops: string;
  let alice: ThreeDevices;
  let bob: ThreeDevices;

  beforeAll(async () => {
    s = await startTestSigil('postgres', await apiConfig());
    dir = mkdtempSync(join(tmpdir(), 'sigil-sessions-'));
    configFile = writeConfigFile(s, dir);
    contract = new ApiContract((await s.client().get('/api/v1/openapi.json')).json());
    ops = await clientToken(s.client(), OPS);
    alice = await signInThreeDevices(s, ALICE);
    bob = await signInThreeDevices(s, BOB);
  });
  afterAll(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refresh = async (t: RefreshableTokens) => refreshGrant(s.client(), t.refresh_token);

  it('lists every session with its client and device: API, CLI --json and /home/devices', async () => {
    const r = await api(s.client(), 'GET', '/sessions?user=alice', ops);
    expect(r.status, r.text).toBe(200);
    contract.check('GET', '/sessions', r);
    const items = r.json<{ items: SessionItem[] }>().items;
    expect(items.map((i) => [i.client, i.device]).sort()).toEqual([
      ['kubectl', 'kubelogin'],
      ['kubectl', 'oidc-agent'],
      ['sigil-web', 'Chrome on macOS'],
    ]);
    expect(items.map((i) => i.id)).toEqual(
      expect.arrayContaining([sidOf(alice.kubelogin), sidOf(alice.device), alice.browserSid]),
    );

    const cli = await sigilAsync([
      'sessions',
      'list',
      '--config',
      configFile,
      '--user',
      'BOB',
      '--json',
    ]);
    expect(cli.status, cli.stderr).toBe(0);
    const listed = JSON.parse(cli.stdout) as SessionItem[];
    expect(listed).toHaveLength(3);
    for (const item of listed) {
      expect(item).toMatchObject({
        user: 'bob',
        id: expect.any(String),
        client: expect.any(String),
      });
      expect(Date.parse(item.created)).not.toBeNaN();
      expect(Date.parse(item.lastUsed)).not.toBeNaN();
    }

    const page = await alice.browser.get('/home/devices');
    expect(page.text).toContain('kubelogin');
    expect(page.text).toContain('oidc-agent');
    expect(page.text).toContain('Chrome on macOS');
    expect(page.text.match(/class="current"/g)).toHaveLength(1);
    for (const id of listed.map((i) => i.id)) expect(page.text).not.toContain(id);
  });

  it('ending one session makes that family’s next refresh invalid_grant; the others keep working', async () => {
    const id = sidOf(alice.kubelogin);
    const r = await api(s.client(), 'DELETE', `/sessions/${id}`, ops);
    expect(r.status, r.text).toBe(200);
    contract.check('DELETE', `/sessions/${id}`, r);
    const gone = await refresh(alice.kubelogin);
    expect(gone.status).toBe(400);
    expect(gone.json()['error']).toBe('invalid_grant');
    const kept = await refresh(alice.device);
    expect(kept.status, kept.text).toBe(200);
    alice = { ...alice, device: { ...alice.device, ...kept.json<Tokens>() } };
    expect((await refresh(bob.kubelogin)).status).toBe(200);
    expect((await alice.browser.get('/home')).status).toBe(200);

    const again = await api(s.client(), 'DELETE', `/sessions/${id}`, ops);
    expect(again.status).toBe(404);
    expect(again.json()['type']).toBe('urn:sigil:problem:not-found');
    contract.check('DELETE', `/sessions/${id}`, again);

    const audit = await api(s.client(), 'GET', '/audit?event=session.revoked', ops);
    contract.check('GET', '/audit', audit);
    const events = audit.json<{ items: { details: Record<string, unknown> }[] }>().items;
    expect(events[0]?.details).toMatchObject({
      actor: { kind: 'client', id: 'ops' },
      sessionId: id,
    });
  });

  it('a person can never see or end another person’s session from /home', async () => {
    const bobs = sidOf(bob.device);
    const look = await alice.browser.get(`/home/devices/end?session=${bobs}`);
    expect(look.status).toBe(404);
    const mine = await alice.browser.get(`/home/devices/end?session=${sidOf(alice.device)}`);
    const csrf = hiddenInput(mine.text, 'csrf');
    const post = await alice.browser.post('/home/devices/end', { csrf, session: bobs });
    expect(post.status).toBe(404);
    // Alice's CSRF token is no good in Bob's browser either.
    const forged = await bob.browser.post('/home/devices/end', { csrf, others: '1' });
    expect(forged.status).toBe(403);
    const still = await refresh(bob.device);
    expect(still.status, still.text).toBe(200);
    bob = { ...bob, device: { ...bob.device, ...still.json<Tokens>() } };
  });

  it('“sign out everywhere else” ends the other sessions and keeps this browser', async () => {
    const done = await confirmEnding(bob.browser, 'others=1');
    expect(done.status).toBe(303);
    expect(done.location).toBe('/home/devices?ended=2');
    expect((await refresh(bob.kubelogin)).json()['error']).toBe('invalid_grant');
    expect((await refresh(bob.device)).json()['error']).toBe('invalid_grant');
    const page = await bob.browser.get(done.location!);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed out of 2 sessions');
    expect(page.text.match(/<li>/g)).toHaveLength(1);
  });

  it('offboarding from the CLI ends every family and browser session of the person, and says what it ended', async () => {
    const cli = await sigilAsync(['sessions', 'revoke', '--user', 'ALICE', '--config', configFile]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`ended ${sidOf(alice.device)}`);
    expect(cli.stdout).toMatch(/user ALICE: ended 2 session\(s\), [1-9]\d* browser session\(s\)/);
    expect((await refresh(alice.device)).json()['error']).toBe('invalid_grant');
    const home = await alice.browser.get('/home');
    expect(home.status, 'signed out of /home').toBe(303);
    const list = await api(s.client(), 'GET', '/sessions?user=alice', ops);
    expect(list.json<{ items: unknown[] }>().items).toEqual([]);
    const metrics = await s.client().get('/metrics');
    expect(metrics.text).toMatch(/sigil_sessions_revoked_total\{by="client"\} 1/);
    expect(metrics.text).toMatch(/sigil_sessions_revoked_total\{by="person"\} 2/);
    expect(metrics.text).toMatch(/sigil_sessions_active \d+/);
  });
});
