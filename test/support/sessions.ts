import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import { configAsInput } from '../../src/config/schema.js';
import { approveDeviceCode, pollDeviceToken, startDeviceFlow } from './device-page.js';
import { Client, hiddenInput, type Res } from './http-client.js';
import {
  follow,
  kubeloginTokens,
  submitLogin,
  withRefreshToken,
  type RefreshableTokens,
  type Tokens,
} from './oidc-flow.js';
import type { TestSigil } from './sigil.js';

export const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const KUBELOGIN_UA = 'kubelogin/v1.32.0 (linux/amd64)';
export const OIDC_AGENT_UA = 'oidc-agent/5.2.3';

type User = { username: string; password: string };

/** A client of `s` that sends `userAgent`, with its own cookies. */
export function clientWithAgent(s: TestSigil, userAgent: string): Client {
  return new Client(s.issuer, { ca: s.ca, headers: { 'user-agent': userAgent } });
}

/** GET /home in a fresh browser → sigil's login form → signed in → /home. */
export async function signInHome(c: Client, user: User): Promise<Res> {
  let r = await c.get('/home');
  expect(r.status).toBe(303);
  r = await follow(c, r);
  expect(r.status).toBe(200);
  r = await submitLogin(c, r, user);
  expect(r.status).toBe(303);
  r = await follow(c, r);
  expect(r.status, r.text.slice(0, 300)).toBe(200);
  return r;
}

/** A device-flow login as a program with `userAgent` would do it (approved in another browser). */
export async function deviceLogin(
  s: TestSigil,
  user: User,
  userAgent = OIDC_AGENT_UA,
): Promise<RefreshableTokens> {
  const device = clientWithAgent(s, userAgent);
  const auth = await startDeviceFlow(device, 'openid groups');
  await approveDeviceCode(s.client(), auth.user_code, user);
  const polled = await pollDeviceToken(device, auth.device_code);
  expect(polled.status, polled.text).toBe(200);
  return withRefreshToken(polled.json<Tokens>());
}

/** One person signed in on three devices: a browser on /home, kubelogin, a device-flow program. */
export interface ThreeDevices {
  readonly browser: Client;
  readonly browserSid: string;
  readonly kubelogin: RefreshableTokens;
  readonly device: RefreshableTokens;
}

export const sidOf = (t: Tokens): string => String(decodeJwt(t.id_token)['sid']);

export async function signInThreeDevices(s: TestSigil, user: User): Promise<ThreeDevices> {
  const browser = clientWithAgent(s, CHROME_MAC);
  await signInHome(browser, user);
  const kubelogin = withRefreshToken(
    await kubeloginTokens(clientWithAgent(s, KUBELOGIN_UA), user, { scope: 'openid groups' }),
  );
  const device = await deviceLogin(s, user);
  const page = await browser.get('/home/devices');
  expect(page.status).toBe(200);
  const marked = /<li>\s*<h2>[^<]*<span class="current">/.exec(page.text);
  expect(marked, page.text).not.toBeNull();
  const browserSid = /session=([A-Za-z0-9_-]{22})"[^>]*>Sign out<span/.exec(page.text)?.[1];
  expect(browserSid, 'the current session has a sign-out link').toBeDefined();
  return { browser, browserSid: browserSid!, kubelogin, device };
}

/** Writes the running sigil's config as a file for `sigil sessions ...`; its path. */
export function writeConfigFile(s: TestSigil, dir: string): string {
  const file = join(dir, 'sigil.yaml');
  writeFileSync(file, stringify(configAsInput(s.config)));
  return file;
}

/** Submits the confirmation form of /home/devices/end as shown. */
export async function confirmEnding(browser: Client, query: string): Promise<Res> {
  const page = await browser.get(`/home/devices/end?${query}`);
  expect(page.status, page.text.slice(0, 300)).toBe(200);
  const form: Record<string, string> = { csrf: hiddenInput(page.text, 'csrf') };
  const session = /name="session" value="([^"]+)"/.exec(page.text)?.[1];
  if (session !== undefined) form['session'] = session;
  else form['others'] = '1';
  return browser.post('/home/devices/end', form);
}
