import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { authPath } from '../../support/auth-request.js';
import {
  browserSuite,
  horizontalOverflow,
  ldapOnly,
  newPage,
  PHONE_DARK,
  record,
} from './browser.js';

/**
 * The post-login pages in chromium: the landing page, /home with identity, groups, who-am-I
 * and a kubeconfig per cluster (downloaded here), sign-out, and the access-denied page of a
 * client that requires a group. Screenshots and axe as everywhere in this suite.
 */
/** At the root of its origin, and under Dex's usual issuer path (https://host/dex). */
const ISSUER_PATHS = [
  { at: 'the root', issuerPath: '', ou: 'TestBrowserHome', shot: '' },
  { at: 'the issuer path /dex', issuerPath: '/dex', ou: 'TestBrowserHomeDex', shot: '-dex' },
];

describe.each(ISSUER_PATHS)(
  'landing page, /home with kubeconfig download, access denied at $at',
  { timeout: 180_000 },
  ({ issuerPath, ou: ouName, shot }) => {
    const users = [{ uid: 'h-dana', name: 'Dana Home', groups: ['h-platform', 'h-developers'] }];
    const suite = browserSuite(
      ouName,
      users,
      (ou) => ({
        ...ldapOnly(ou),
        staticClients: [
          { id: 'kubectl', public: true, name: 'kubectl' },
          { id: 'admins-only', public: true, name: 'Admin console', allowedGroups: ['h-admins'] },
        ],
        clusters: [
          { name: 'prod', server: 'https://api.prod.example.com:6443', clientID: 'kubectl' },
          { name: 'lab', server: 'https://api.lab.example.com:6443', clientID: 'kubectl' },
        ],
      }),
      { issuerPath },
    );

    it('signs in from the landing page, shows identity and clusters, downloads a kubeconfig, signs out', async () => {
      const { context, page, watch } = await newPage(suite.browser);
      try {
        await page.goto(`${suite.s.issuer}/`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        await record(page, `index${shot}`);
        await page.getByRole('link', { name: /kubeconfig/i }).click();
        await page.getByLabel('Corporate username').fill('h-dana');
        await page.getByLabel('Password').fill('h-dana-pw');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${suite.s.issuer}/home`);
        await page.getByRole('heading', { name: 'Your Kubernetes access' }).waitFor();
        expect(
          await page.getByRole('list', { name: 'Your groups', exact: true }).innerText(),
        ).toContain('h-platform');
        expect(await page.getByRole('heading', { name: 'Cluster prod' }).count()).toBe(1);
        await record(page, `home${shot}`);

        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('link', { name: 'Download kubeconfig-prod.yaml' }).click(),
        ]);
        expect(download.suggestedFilename()).toBe('kubeconfig-prod.yaml');
        const kubeconfig = parseYaml(readFileSync(await download.path(), 'utf8')) as {
          clusters: { cluster: { server: string } }[];
          users: { user: { exec: { args: string[] } } }[];
        };
        expect(kubeconfig.clusters[0]?.cluster.server).toBe('https://api.prod.example.com:6443');
        expect(kubeconfig.users[0]?.user.exec.args).toContain(
          `--oidc-issuer-url=${suite.s.issuer}`,
        );

        // Sign out: sigil's own confirmation, then back to the landing page.
        await page.getByRole('link', { name: 'Sign out' }).click();
        await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
        await Promise.all([
          page.waitForURL(`${suite.s.issuer}/`),
          page.getByRole('button', { name: 'Sign out' }).click(),
        ]);
        await page.goto(`${suite.s.issuer}/home`);
        await page.getByLabel('Password').waitFor();
        expect(watch.errors).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it('fits a phone screen in the dark theme', async () => {
      const { context, page, watch } = await newPage(suite.browser, PHONE_DARK);
      try {
        await page.goto(`${suite.s.issuer}/home`);
        await page.getByLabel('Corporate username').fill('h-dana');
        await page.getByLabel('Password').fill('h-dana-pw');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Your Kubernetes access' }).waitFor();
        // The kubeconfig blocks scroll inside themselves; the page itself does not.
        expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
        await record(page, `home-mobile-dark${shot}`);
        expect(watch.errors).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it('explains a refusal by a client that requires a group the user lacks', async () => {
      const { context, page, watch } = await newPage(suite.browser);
      try {
        const auth = authPath({
          clientId: 'admins-only',
          redirectUri: 'http://127.0.0.1:8000',
          scope: 'openid groups',
        });
        await page.goto(suite.s.issuer + auth);
        await page.getByLabel('Corporate username').fill('h-dana');
        await page.getByLabel('Password').fill('h-dana-pw');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Access denied' }).waitFor();
        await record(page, `access-denied${shot}`);
        expect(watch.errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  },
);
