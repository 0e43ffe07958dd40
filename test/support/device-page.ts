import { expect } from 'vitest';
import { type Client, hiddenInput, type Res } from './http-client.js';
import { follow, KUBECTL, submitLogin, tokenRequest } from './oidc-flow.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The device authorization endpoint's answer (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval?: number;
}

/** POST /device/auth for the public kubectl client; the answer must be a 200. */
export async function startDeviceFlow(c: Client, scope = 'openid'): Promise<DeviceAuthorization> {
  const r = await c.post('/device/auth', { client_id: KUBECTL.clientId, scope });
  expect(r.status, r.text).toBe(200);
  return r.json<DeviceAuthorization>();
}

/** One poll of the token endpoint for a device code; the answer as it came. */
export function pollDeviceToken(c: Client, deviceCode: string, client = KUBECTL): Promise<Res> {
  return tokenRequest(c, { grant_type: DEVICE_GRANT, device_code: deviceCode }, client);
}

export interface DevicePageOptions {
  username: string;
  password: string;
  /** Press "cancel" on the confirm page instead of confirming. */
  cancel?: boolean;
}

/**
 * Drives sigil's device page as a person at a browser would: open /device, type the user
 * code, confirm (or cancel), log in. Returns the last page (the success page when everything
 * went well). `browser` must be a fresh Client (its own cookie jar).
 */
export async function approveDeviceCode(
  browser: Client,
  userCode: string,
  o: DevicePageOptions,
): Promise<Res> {
  const page = await browser.get('/device');
  expect(page.status, page.text.slice(0, 300)).toBe(200);
  expect(page.text).toContain('for="user_code"');
  const action = /action="([^"]+)"/.exec(page.text)?.[1];
  if (action === undefined) throw new Error('no form on the device page');
  const confirm = await browser.post(action, {
    xsrf: hiddenInput(page.text, 'xsrf'),
    user_code: userCode,
  });
  expect(confirm.status, confirm.text.slice(0, 300)).toBe(200);
  expect(confirm.text).toContain(userCode);
  const r = await follow(
    browser,
    await browser.post(action, {
      xsrf: hiddenInput(confirm.text, 'xsrf'),
      user_code: userCode,
      ...(o.cancel === true ? { abort: 'yes' } : { confirm: 'yes' }),
    }),
  );
  if (o.cancel === true) return r;
  expect(r.text).toContain('name="password"');
  return follow(browser, await submitLogin(browser, r, o));
}
