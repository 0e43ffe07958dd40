import { expect } from 'vitest';
import { type Client, hiddenInput } from './http-client.js';
import { follow } from './oidc-flow.js';

export interface DevicePageOptions {
  username: string;
  password: string;
  /** Press "cancel" on the confirm page instead of confirming. */
  cancel?: boolean;
}

/**
 * Drives sigil's device page as a person at a browser would: open /device, type the user
 * code, confirm (or cancel), log in. Returns the text of the last page (the success page when
 * everything went well). `browser` must be a fresh Client (its own cookie jar).
 */
export async function approveDeviceCode(
  browser: Client,
  userCode: string,
  o: DevicePageOptions,
): Promise<string> {
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
  let r = await follow(
    browser,
    await browser.post(action, {
      xsrf: hiddenInput(confirm.text, 'xsrf'),
      user_code: userCode,
      ...(o.cancel === true ? { abort: 'yes' } : { confirm: 'yes' }),
    }),
  );
  if (o.cancel === true) return r.text;
  expect(r.text).toContain('name="password"');
  const login = /action="(\/interaction\/[^"]+\/login)"/.exec(r.text)?.[1];
  if (login === undefined) throw new Error('no login form after confirming the device code');
  r = await follow(
    browser,
    await browser.post(login, {
      csrf: hiddenInput(r.text, 'csrf'),
      connector: hiddenInput(r.text, 'connector'),
      username: o.username,
      password: o.password,
    }),
  );
  return r.text;
}
