import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { flushAllAudit } from '../../support/sigil.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCelError, run } from '@bufbuild/cel';
import { decodeJwt } from 'jose';
import { Attribute, Change } from 'ldapts';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configAsInput } from '../../../src/config/index.js';
import { MFA_RULE } from '../../../src/kube/index.js';
import { queryAuditEvents } from '../../../src/storage/index.js';
import { authPath, pkce } from '../../support/auth-request.js';
import { sigil } from '../../support/cli.js';
import { approveDeviceCode, pollDeviceToken, startDeviceFlow } from '../../support/device-page.js';
import { verifyWithGo } from '../../support/go-verifier.js';
import { hiddenInput, type Client, type Res } from '../../support/http-client.js';
import { createTestOu, type TestOu } from '../../support/ldap-test-ou.js';
import {
  codeGrant,
  follow,
  LOOPBACK,
  passwordGrant,
  refreshGrant,
  submitLogin,
  type Tokens,
} from '../../support/oidc-flow.js';
import { passwordGrantClient, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { adminClient } from '../ldap/support.js';

/**
 * A person who must pass a second factor gets no id_token without one, by any grant: the
 * authorization code (browser), the device flow, the password grant, a refresh of a
 * password-only login, a browser session from a password-only login, a cluster that requires
 * it, a client's acr_values. Driven over HTTP as a browser would (real slapd, PostgreSQL); the
 * id_tokens go through go-oidc (kube-apiserver's verifier) and the API server's CEL rule.
 */

const USERS = [
  { uid: 'e-alice', name: 'Alice Mfa', groups: ['mfa-admins'] },
  { uid: 'e-bob', name: 'Bob Mfa', groups: ['mfa-devs'] },
  { uid: 'e-carol', name: 'Carol Mfa', groups: ['mfa-devs'] },
];
const CI = { id: 'ci', secret: 'ci-secret-value-123' };
const MFA_REFUSED = 'this account requires a multi-factor login; use the browser or device flow';

/** The code an authenticator app shows for `secret`, `stepsAhead` steps from now. */
function appCode(secret: string, stepsAhead = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

function claimsOf(t: { id_token: string }): Record<string, unknown> {
  return decodeJwt(t.id_token);
}

/** The MFA rule sigil prints for a requireMFA cluster, evaluated by CEL over `claims`. */
function clusterAdmits(claims: Record<string, unknown>): boolean {
  const v = run(MFA_RULE.expression, { claims: claims as Record<string, never> });
  if (isCelError(v)) throw new Error(String(v));
  return v === true;
}

/** An action URL of the page (`/interaction/<uid>/<step>`). */
function action(page: Res, step: string): string {
  const m = new RegExp(`action="(/interaction/[^"]+/${step})"`).exec(page.text);
  if (m?.[1] === undefined) throw new Error(`no ${step} form on: ${page.text.slice(0, 400)}`);
  return m[1];
}

describe('multi-factor login on every grant', { timeout: 240_000 }, () => {
  let ou: TestOu;
  let s: TestSigil;
  let dir: string;
  let secret = '';

  beforeAll(async () => {
    ou = await createTestOu('TestMfaGrants', USERS);
    s = await startTestSigil('postgres', {
      enablePasswordDB: false,
      staticPasswords: [],
      connectors: [ou.connector()],
      staticClients: [
        { id: 'kubectl', public: true, name: 'kubectl' },
        { id: 'prod', public: true, name: 'prod cluster' },
        passwordGrantClient(CI),
      ],
      clusters: [
        {
          name: 'prod',
          server: 'https://api.prod.example.com:6443',
          clientID: 'prod',
          requireMFA: true,
        },
      ],
      mfa: { required: { groups: ['mfa-admins'] } },
    });
    dir = mkdtempSync(join(tmpdir(), 'sigil-mfa-cli-'));
  }, 120_000);
  afterAll(async () => {
    await s.close();
    await ou.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** GET /auth, then the password: the page that comes after it (code redirect or a page). */
  async function passwordStep(
    c: Client,
    uid: string,
    o: { clientId?: string; extra?: Record<string, string> } = {},
  ): Promise<{ page: Res; verifier: string }> {
    const { verifier, challenge } = pkce();
    const path = authPath({
      clientId: o.clientId ?? 'kubectl',
      redirectUri: LOOPBACK,
      scope: 'openid groups offline_access',
      challenge,
      state: 'st',
      ...(o.extra === undefined ? {} : { extra: o.extra }),
    });
    const form = await follow(c, await c.get(path));
    expect(form.text).toContain('name="password"');
    const page = await follow(
      c,
      await submitLogin(c, form, { username: uid, password: `${uid}-pw` }),
    );
    return { page, verifier };
  }

  /** Exchanges the code of a redirect to the loopback client. */
  async function tokens(page: Res, verifier: string, clientId = 'kubectl'): Promise<Tokens> {
    expect(page.status, page.text.slice(0, 300)).toBe(303);
    const code = new URL(page.location ?? '').searchParams.get('code') ?? '';
    const r = await codeGrant(s.client(), { code, verifier }, { clientId, redirectUri: LOOPBACK });
    expect(r.status, r.text).toBe(200);
    return r.json<Tokens>();
  }

  it('authorization code: a required person is sent to enrollment, never to the client, until a factor passes', async () => {
    const c = s.client();
    const { page, verifier } = await passwordStep(c, 'e-alice');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Set up a second factor');
    // Going back to the authorization request with the same browser: the login prompt again.
    const again = await follow(
      c,
      await c.get(page.text.match(/\/interaction\/[^/"]+/)?.[0] ?? '/'),
    );
    expect(again.status).toBe(200);
    expect(again.text).not.toContain('code=');
    // A forged "done" ticket is refused with a page, not a login.
    const forged = await c.post(action(page, 'mfa-enroll').replace('mfa-enroll', 'mfa-done'), {
      csrf: hiddenInput(page.text, 'csrf'),
      ticket: 'e30.forged',
    });
    expect(forged.status).toBe(400);
    // Enroll: the key from the page, a code computed from it.
    secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.text)?.[1] ?? '';
    expect(secret).not.toBe('');
    const recovery = await c.post(action(page, 'mfa-enroll'), {
      csrf: hiddenInput(page.text, 'csrf'),
      ticket: hiddenInput(page.text, 'ticket'),
      method: 'totp',
      factor: hiddenInput(page.text, 'factor'),
      code: appCode(secret),
    });
    expect(recovery.status, recovery.text.slice(0, 300)).toBe(200);
    expect(recovery.text).toContain('Save your recovery codes');
    const done = await follow(
      c,
      await c.post(action(recovery, 'mfa-done'), {
        csrf: hiddenInput(recovery.text, 'csrf'),
        ticket: hiddenInput(recovery.text, 'ticket'),
      }),
    );
    const t = await tokens(done, verifier);
    const claims = claimsOf(t);
    expect(claims).toMatchObject({ acr: 'urn:sigil:mfa', amr: ['pwd', 'otp', 'mfa'] });
    expect(clusterAdmits(claims)).toBe(true);
    const v = await verifyWithGo(s.issuer, s.config.web.tlsCA ?? '', 'kubectl', t.id_token);
    expect(v, JSON.stringify(v)).toMatchObject({ ok: true });
    if (v.ok) expect(v.claims['acr']).toBe('urn:sigil:mfa');

    // A refresh keeps the family's amr/acr.
    const r = await refreshGrant(s.client(), t.refresh_token ?? '');
    expect(r.status, r.text).toBe(200);
    expect(claimsOf(r.json<Tokens>())).toMatchObject({ acr: 'urn:sigil:mfa', amr: claims['amr'] });
  });

  it('password grant: refused with invalid_grant for a required person (audited), allowed for others', async () => {
    const ci = { clientId: CI.id, clientSecret: CI.secret };
    const r = await passwordGrant(s.client(), ci, { username: 'e-alice', password: 'e-alice-pw' });
    expect(r.status).toBe(400);
    expect(r.json()).toEqual({ error: 'invalid_grant', error_description: MFA_REFUSED });
    await flushAllAudit();
    const denied = await queryAuditEvents(s.server.db, { event: 'token.denied', limit: 10 });
    expect(denied.some((e) => e.reason === 'mfa_required' && e.username === 'e-alice')).toBe(true);
    const ok = await passwordGrant(s.client(), ci, { username: 'e-carol', password: 'e-carol-pw' });
    expect(ok.status, ok.text).toBe(200);
    const claims = claimsOf(ok.json<Tokens>());
    expect(claims).toMatchObject({ acr: 'urn:sigil:pwd', amr: ['pwd'] });
    expect(clusterAdmits(claims)).toBe(false);
  });

  it('device flow: the device page login asks for the second factor', async () => {
    const da = await startDeviceFlow(s.client(), 'openid groups');
    const browser = s.client();
    const mfaPage = await approveDeviceCode(browser, da.user_code, {
      username: 'e-alice',
      password: 'e-alice-pw',
    });
    expect(mfaPage.text).toContain('Second factor');
    const pending = await pollDeviceToken(s.client(), da.device_code);
    expect(pending.json<{ error: string }>().error).toBe('authorization_pending');
    const done = await follow(
      browser,
      await browser.post(action(mfaPage, 'mfa'), {
        csrf: hiddenInput(mfaPage.text, 'csrf'),
        ticket: hiddenInput(mfaPage.text, 'ticket'),
        method: 'totp',
        code: appCode(secret, 1),
      }),
    );
    expect(done.status, done.text.slice(0, 300)).toBe(200);
    const t = await pollDeviceToken(s.client(), da.device_code);
    expect(t.status, t.text).toBe(200);
    expect(claimsOf(t.json<Tokens>())).toMatchObject({ acr: 'urn:sigil:mfa' });
  });

  it('refresh: a password-only family is refused once its person must use a second factor', async () => {
    const c = s.client();
    const { page, verifier } = await passwordStep(c, 'e-bob');
    const t = await tokens(page, verifier);
    expect(claimsOf(t)).toMatchObject({ acr: 'urn:sigil:pwd' });
    // e-bob joins the required group in the directory; the refresh re-reads it.
    const admin = await adminClient();
    try {
      await admin.modify(
        `cn=mfa-admins,${ou.groupsDN}`,
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'member', values: [`uid=e-bob,${ou.peopleDN}`] }),
        }),
      );
    } finally {
      await admin.unbind();
    }
    const r = await refreshGrant(s.client(), t.refresh_token ?? '');
    expect(r.status).toBe(400);
    expect(r.json()).toEqual({ error: 'invalid_grant', error_description: MFA_REFUSED });
  });

  it('a requireMFA cluster, acr_values and a password-only browser session each call for the factor', async () => {
    // The cluster's own audience.
    const cluster = await passwordStep(s.client(), 'e-carol', { clientId: 'prod' });
    expect(cluster.page.text).toContain('Set up a second factor');
    // A client asking for a multi-factor login.
    const stepUp = await passwordStep(s.client(), 'e-carol', {
      extra: { acr_values: 'urn:sigil:mfa' },
    });
    expect(stepUp.page.text).toContain('Set up a second factor');
    // A password-only session does not carry e-carol on to the cluster's client.
    const c = s.client();
    const first = await passwordStep(c, 'e-carol');
    await tokens(first.page, first.verifier);
    const { challenge } = pkce();
    const path = authPath({ clientId: 'prod', redirectUri: LOOPBACK, scope: 'openid', challenge });
    const next = await follow(c, await c.get(path));
    expect(next.status).toBe(200);
    expect(next.text).toContain('name="password"');
  });

  it('sigil mfa list and reset: the factor is listed, reset asks first, then removes it (audited)', async () => {
    const file = join(dir, 'sigil.yaml');
    writeFileSync(file, stringify(configAsInput(s.config)));
    const list = sigil(['mfa', 'list', '--user', 'E-ALICE', '--config', file]);
    expect(list.stderr).toBe('');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/totp +Authenticator app/);
    expect(list.stdout).toContain('recovery codes left: 10');
    expect(list.stdout).not.toContain(secret);
    const declined = sigil(['mfa', 'reset', '--user', 'e-alice', '--config', file], {
      input: 'no\n',
    });
    expect(declined.status).toBe(1);
    expect(declined.stderr).toContain('not confirmed');
    const reset = sigil(['mfa', 'reset', '--user', 'e-alice', '--config', file, '--yes']);
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.stdout).toContain('removed 1 factor(s) and 10 recovery code(s)');
    const unknown = sigil(['mfa', 'list', '--user', 'nobody', '--config', file]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('USER_NOT_FOUND');
    await flushAllAudit();
    const events = await queryAuditEvents(s.server.db, { event: 'mfa.*', limit: 100 });
    const names = events.map((e) => e.event);
    expect(names).toEqual(expect.arrayContaining(['mfa.enrolled', 'mfa.verified', 'mfa.reset']));
    const r = events.find((e) => e.event === 'mfa.reset');
    expect(r?.details).toMatchObject({ actor: { kind: 'operator' } });
  });
});
