import { describe, expect, it } from 'vitest';
import { kubeloginTokens, refreshGrant, withRefreshToken } from '../../support/oidc-flow.js';
import { clientWithAgent, KUBELOGIN_UA } from '../../support/sessions.js';
import {
  browserSuite,
  horizontalOverflow,
  ldapOnly,
  newPage,
  PHONE_DARK,
  record,
} from './browser.js';

/**
 * "Your devices" in chromium: the list with this browser marked, signing out another device
 * through the confirmation page (its refresh token then fails), and the phone layout. axe on
 * every page, as everywhere in this suite.
 */
describe('/home/devices: see and end your own sessions', { timeout: 180_000 }, () => {
  const users = [
    { uid: 'd-erin', name: 'Erin Devices', groups: ['d-developers'] },
    { uid: 'd-finn', name: 'Finn Devices', groups: ['d-developers'] },
  ];
  const suite = browserSuite('TestBrowserDevices', users, ldapOnly);

  it('lists the person’s sessions, marks this browser, and signs out another device after confirming', async () => {
    const kubelogin = withRefreshToken(
      await kubeloginTokens(
        clientWithAgent(suite.s, KUBELOGIN_UA),
        { username: 'd-erin', password: 'd-erin-pw' },
        { scope: 'openid groups' },
      ),
    );
    // Finn's session must never show on Erin's page.
    await kubeloginTokens(suite.s.client(), { username: 'd-finn', password: 'd-finn-pw' });
    const { context, page, watch } = await newPage(suite.browser);
    try {
      await page.goto(`${suite.s.issuer}/home`);
      await page.getByLabel('Corporate username').fill('d-erin');
      await page.getByLabel('Password').fill('d-erin-pw');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Your Kubernetes access' }).waitFor();
      await page.getByRole('link', { name: 'Your devices' }).click();
      await page.getByRole('heading', { name: 'Your devices', level: 1 }).waitFor();
      const list = page.getByRole('list', { name: 'Your sessions' });
      expect(await list.getByRole('listitem').count()).toBe(2);
      expect(await list.innerText()).toContain('This browser');
      expect(await list.innerText()).toContain('kubelogin');
      await record(page, 'devices');

      await page.getByRole('link', { name: /Sign out this device \(kubelogin, kubectl\)/ }).click();
      await page.getByRole('heading', { name: 'Sign out this device?' }).waitFor();
      await record(page, 'devices-confirm');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('Signed out of 1 session').waitFor();
      expect(await list.getByRole('listitem').count()).toBe(1);
      await record(page, 'devices-after');
      const r = await refreshGrant(suite.s.client(), kubelogin.refresh_token);
      expect(r.json()['error']).toBe('invalid_grant');
      expect(watch.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('fits a phone screen in the dark theme', async () => {
    await kubeloginTokens(clientWithAgent(suite.s, KUBELOGIN_UA), {
      username: 'd-finn',
      password: 'd-finn-pw',
    });
    const { context, page, watch } = await newPage(suite.browser, PHONE_DARK);
    try {
      await page.goto(`${suite.s.issuer}/home/devices`);
      await page.getByLabel('Corporate username').fill('d-finn');
      await page.getByLabel('Password').fill('d-finn-pw');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Your devices', level: 1 }).waitFor();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await record(page, 'devices-mobile-dark');
      await page.getByRole('link', { name: 'Sign out everywhere else' }).click();
      await page.getByRole('heading', { name: 'Sign out everywhere else?' }).waitFor();
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await record(page, 'devices-confirm-mobile-dark');
      await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
      await page.getByText(/Signed out of [1-9]\d* session/).waitFor();
      expect(watch.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
