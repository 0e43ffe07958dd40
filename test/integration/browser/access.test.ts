import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { queryAuditEvents } from '../../../src/storage/index.js';
import { kubeloginTokens } from '../../support/oidc-flow.js';
import { flushAllAudit } from '../../support/sigil.js';
import {
  browserSuite,
  horizontalOverflow,
  ldapOnly,
  newPage,
  PHONE_DARK,
  record,
  type PageWatch,
} from './browser.js';

/**
 * /home/access in Chromium (issue 16): a requester asks for a role from /home, an approver
 * approves it on their own page, the requester sees it active with the note on how kubectl
 * picks it up at once, and ends it early; a self-approved role needs a fresh code from the
 * requester's authenticator app (refused without one, or with a wrong one). axe on every page
 * at desktop and phone width, as everywhere in this suite.
 */

const USERS = [
  { uid: 'acb-rita', name: 'Rita Requester', groups: ['acb-devs'] },
  { uid: 'acb-abe', name: 'Abe Approver', groups: ['acb-approvers'] },
];

const ROLES = [
  {
    name: 'admin',
    group: 'acb-cluster-admins',
    eligible: ['acb-devs'],
    maxDuration: '1h',
    approval: { approvers: ['acb-approvers'] },
    requireMFA: false,
  },
  {
    name: 'break-glass',
    group: 'acb-breakglass',
    eligible: ['acb-devs'],
    maxDuration: '30m',
    approval: 'self' as const,
    requireMFA: true,
  },
];

/** The code an authenticator app shows for `secret`, `stepsAhead` steps from now. */
function appCode(secret: string, stepsAhead = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

describe('/home/access: ask for a role, approve it, use it, end it', { timeout: 240_000 }, () => {
  const suite = browserSuite('TestBrowserAccess', USERS, (ou) => ({
    ...ldapOnly(ou),
    elevation: { roles: ROLES },
  }));

  async function signIn(page: Page, path: string, uid: string): Promise<void> {
    await page.goto(`${suite.s.issuer}${path}`);
    await page.getByLabel('Corporate username').fill(uid);
    await page.getByLabel('Password').fill(`${uid}-pw`);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Rita's recovery codes, once she has an authenticator app (the self-approval test). */
  const recovery: string[] = [];

  /** The groups of the id_token kubectl would get for Rita if it signed her in now. */
  async function ritasGroups(): Promise<unknown> {
    const t = await kubeloginTokens(suite.s.client(), {
      username: 'acb-rita',
      password: 'acb-rita-pw',
    });
    return decodeJwt(t.id_token)['groups'];
  }

  const status = (page: Page) => page.getByRole('status').first().innerText();
  const alert = (page: Page) => page.getByRole('alert').innerText();

  async function withPage(
    fn: (page: Page, watch: PageWatch) => Promise<void>,
    opts: Parameters<typeof newPage>[1] = {},
  ): Promise<void> {
    const { context, page, watch } = await newPage(suite.browser, opts);
    try {
      await fn(page, watch);
      expect(watch.errors).toEqual([]);
    } finally {
      await context.close();
    }
  }

  /** The requester's page, kept open across the first test's steps. */
  async function ask(page: Page): Promise<void> {
    await signIn(page, '/home', 'acb-rita');
    await page.getByRole('heading', { name: 'Your Kubernetes access' }).waitFor();
    await page.getByRole('link', { name: 'Request access' }).click();
    await page.getByRole('heading', { name: 'Request access', level: 1 }).waitFor();
    expect(await page.getByRole('list', { name: 'Roles you may ask for' }).innerText()).toContain(
      'acb-cluster-admins',
    );
    expect(await page.getByText('You have not asked for anything yet').count()).toBe(1);
    await record(page, 'access');
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.getByLabel('Duration').fill('20m');
    await page.getByLabel('Reason').fill('INC-4711: the ingress controller is crash-looping');
    await page.getByRole('button', { name: 'Request access' }).click();
    await expect.poll(() => status(page)).toContain('Your request is filed');
    const mine = page.getByRole('list', { name: 'Your requests' });
    expect(await mine.innerText()).toContain('Waiting for approval');
    expect(await mine.innerText()).toContain('INC-4711');
    await record(page, 'access-pending');
  }

  /** The approver's page: the request waits there; approve it with a comment. */
  async function approve(): Promise<void> {
    await withPage(async (page) => {
      await signIn(page, '/home/access', 'acb-abe');
      await page.getByRole('heading', { name: 'Request access', level: 1 }).waitFor();
      const waiting = page.getByRole('list', { name: 'Requests waiting for your decision' });
      expect(await waiting.innerText()).toContain('acb-rita asks for admin');
      expect(await waiting.innerText()).toContain('INC-4711');
      // Nothing for Abe to ask for himself: no request form.
      expect(await page.getByText('There is nothing you can ask for').count()).toBe(1);
      await record(page, 'access-approver');
      await waiting.getByLabel('Comment (optional)').fill('Go ahead, keep it short.');
      await waiting.getByRole('button', { name: /^Approve/ }).click();
      await expect.poll(() => status(page)).toContain('Approved');
      expect(await page.getByText('Nobody is waiting for you').count()).toBe(1);
    });
  }

  it('the requester asks, the approver approves, the requester sees how to use it and ends it early', async () => {
    await withPage(async (page) => {
      expect(await ritasGroups()).toEqual(['acb-devs']);
      await ask(page);
      await approve();
      await page.goto(`${suite.s.issuer}/home/access`);
      const mine = page.getByRole('list', { name: 'Your requests' });
      expect(await mine.innerText()).toContain('Active');
      expect(await mine.innerText()).toContain('acb-abe: “Go ahead, keep it short.”');
      await page.getByRole('heading', { name: 'Use your access now' }).waitFor();
      const note = await page.locator('#use-now + ul').innerText();
      expect(note).toContain('acb-cluster-admins');
      expect(note).not.toContain('second factor');
      expect(await page.getByText('kubectl oidc-login clean', { exact: true }).count()).toBe(1);
      await record(page, 'access-active');
      // What the note promises: the next token kubectl gets carries the group.
      expect(await ritasGroups()).toContain('acb-cluster-admins');
      await page.getByRole('button', { name: /^End now/ }).click();
      await expect.poll(() => status(page)).toContain('Ended');
      expect(await ritasGroups()).not.toContain('acb-cluster-admins');
      expect(await mine.innerText()).toContain('Ended');
      expect(await mine.innerText()).toMatch(/Ended[\s\S]*by you/);
      expect(await page.getByRole('heading', { name: 'Use your access now' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^End now/ }).count()).toBe(0);
    });
  });

  it('a self-approved role needs a fresh code: refused without one and with a wrong one, granted with one', async () => {
    await withPage(async (page) => {
      await signIn(page, '/home/security', 'acb-rita');
      await page.getByRole('button', { name: 'Add an authenticator app' }).click();
      const secret = await page.locator('#totp-secret').innerText();
      await page.getByLabel('Code from the app').fill(appCode(secret));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await expect.poll(() => status(page)).toContain('is on');
      recovery.push(
        ...(await page
          .getByRole('list', { name: 'Recovery codes' })
          .locator('code')
          .allInnerTexts()),
      );

      await page.goto(`${suite.s.issuer}/home/access`);
      const code = page.getByLabel('Code from your authenticator app, or a recovery code');
      await page.getByLabel('Role', { exact: true }).selectOption('break-glass');
      await page.getByLabel('Duration').fill('10m');
      await page.getByLabel('Reason').fill('INC-4712: the approvers are asleep');
      await page.getByRole('button', { name: 'Request access' }).click();
      await expect.poll(() => alert(page)).toContain('second factor');
      expect(await code.getAttribute('aria-invalid')).toBe('true');
      expect(await code.getAttribute('aria-describedby')).toContain('access-error');
      // What was typed is still there, to fix and send again.
      expect(await page.getByLabel('Reason').inputValue()).toContain('INC-4712');
      expect(await page.getByLabel('Role', { exact: true }).inputValue()).toBe('break-glass');
      await record(page, 'access-code-refused');

      await code.fill('000000');
      await page.getByRole('button', { name: 'Request access' }).click();
      await expect.poll(() => alert(page)).toContain('That code was not accepted');
      expect(await page.getByRole('list', { name: 'Your requests' }).innerText()).not.toContain(
        'break-glass',
      );

      // Both refusals are in the audit trail, as the service records them.
      await flushAllAudit();
      const refused = await queryAuditEvents(suite.s.server.db, {
        event: 'elevation.refused',
        limit: 10,
      });
      expect(refused.map((r) => r.reason)).toEqual(['mfa_required', 'mfa_required']);

      await code.fill(appCode(secret, 1));
      await page.getByRole('button', { name: 'Request access' }).click();
      await expect.poll(() => status(page)).toContain('Access granted');
      const mine = page.getByRole('list', { name: 'Your requests' });
      expect(await mine.innerText()).toMatch(/break-glass · Active/);
      await page.getByRole('heading', { name: 'Use your access now' }).waitFor();
      const note = await page.locator('#use-now + ul').innerText();
      expect(note).toContain('acb-breakglass');
      // break-glass requires MFA: only tokens of a sign-in with the second factor carry it.
      expect(note).toContain('when you signed in with your second factor');
    });
  });

  it('fits a phone screen in the dark theme: the form, the pickup note, the approver’s list', async () => {
    await withPage(async (page) => {
      // Rita has a second factor since the test before: she signs in with a recovery code.
      // Her break-glass grant from that test is active: the pickup note shows.
      await signIn(page, '/home/access', 'acb-rita');
      await page.getByText('Lost your device? Use a recovery code').click();
      await page.getByLabel('Recovery code').fill(recovery[0] ?? '');
      await page.getByRole('button', { name: 'Use recovery code' }).click();
      await page.getByRole('heading', { name: 'Request access', level: 1 }).waitFor();
      await page.getByLabel('Role', { exact: true }).selectOption('admin');
      await page.getByLabel('Duration').fill('15m');
      await page.getByLabel('Reason').fill('INC-4713: on the phone');
      await page.getByRole('button', { name: 'Request access' }).click();
      await expect.poll(() => status(page)).toContain('Your request is filed');
      await page.getByRole('heading', { name: 'Use your access now' }).waitFor();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await record(page, 'access-phone');
    }, PHONE_DARK);
    await withPage(async (page) => {
      await signIn(page, '/home/access', 'acb-abe');
      const waiting = page.getByRole('list', { name: 'Requests waiting for your decision' });
      expect(await waiting.innerText()).toContain('INC-4713');
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await record(page, 'access-approver-phone');
      await waiting.getByRole('button', { name: /^Deny/ }).click();
      await expect.poll(() => status(page)).toContain('Denied');
    }, PHONE_DARK);
  });
});
