import { Secret, TOTP } from 'otpauth';
import { flushAllAudit } from '../../support/sigil.js';
import { describe, expect, it } from 'vitest';
import { queryAuditEvents } from '../../../src/storage/index.js';
import { hiddenInput, type Client, type Res } from '../../support/http-client.js';
import { follow, submitLogin } from '../../support/oidc-flow.js';
import { aliceEntry, ALICE } from '../../support/sigil.js';
import {
  assert as softAssert,
  newSoftCredential,
  register as softRegister,
  type SoftCredential,
} from '../../support/soft-authenticator.js';
import {
  authPathWith,
  expectClientError,
  expectSafe,
  hostileSigil,
  INJECTIONS,
  rawRequest,
} from './support.js';

/**
 * The second-factor pages under hostile input: replayed, expired, malformed and too-long codes,
 * forged tickets, WebAuthn answers with the wrong origin, rpID, challenge, type or signature, a
 * counter going back, another person's credential, a 1 MB body, brute force. Each is refused
 * with the same clear answer, audited, nothing half-stored, never a 500.
 */

const MFA_FAILED = 'That code or key was not accepted. Try again.';
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
const IDS: Record<(typeof USERS)[number], string> = {
  alice: ALICE.userID,
  bob: 'b0b00000-0000-4000-8000-000000000001',
  carol: 'ca201000-0000-4000-8000-000000000002',
  dave: 'da7e0000-0000-4000-8000-000000000003',
};

function appCode(secret: string, stepsAhead = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

function action(page: Res, step: string): string {
  const m = new RegExp(`action="(/interaction/[^"]+/${step})"`).exec(page.text);
  if (m?.[1] === undefined) throw new Error(`no ${step} form on: ${page.text.slice(0, 300)}`);
  return m[1];
}

function challengeOf(page: Res): string {
  const json = /<script type="application\/json" id="mfa-webauthn-options">([^<]*)</.exec(
    page.text,
  );
  const options = JSON.parse(json?.[1] ?? '{}') as { challenge?: string };
  return options.challenge ?? '';
}

const STATIC_USERS = await Promise.all(
  USERS.map((u) =>
    aliceEntry(u === 'alice' ? {} : { username: u, email: `${u}@example.com`, userID: IDS[u] }),
  ),
);

describe('hostile input: second factors', { timeout: 180_000 }, () => {
  const s = hostileSigil('postgres', {
    staticPasswords: STATIC_USERS,
    mfa: { required: 'all' },
    // Many refused codes in a row below: no back-off between them (the lockout stays on and
    // has its own case at the end).
    throttle: { backoff: { initial: '0s' } },
  });
  let secret = '';
  const key: SoftCredential = newSoftCredential();

  /** /auth, then the password of `user`: the page after it, and its browser. */
  async function afterPassword(user: string): Promise<{ c: Client; page: Res }> {
    const c = s.client();
    const form = await follow(c, await c.get(authPathWith()));
    const page = await follow(
      c,
      await submitLogin(c, form, { username: user, password: ALICE.password }),
    );
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    return { c, page };
  }

  function post(c: Client, page: Res, step: string, fields: Record<string, string>): Promise<Res> {
    return c.post(action(page, step), {
      csrf: hiddenInput(page.text, 'csrf'),
      ticket: hiddenInput(page.text, 'ticket'),
      ...fields,
    });
  }

  async function failures(user: string): Promise<string[]> {
    await flushAllAudit();
    const events = await queryAuditEvents(s.server.db, {
      event: 'mfa.failed',
      username: user,
      limit: 1000,
    });
    return events.map((e) => e.reason ?? '');
  }

  it('enrollment: a wrong first code, a forged factor id or ticket stores nothing that counts', async () => {
    const { c, page } = await afterPassword('alice');
    expect(page.text).toContain('Set up a second factor');
    let last = page;
    const factor = hiddenInput(page.text, 'factor');
    for (const [fields, what] of [
      [{ method: 'totp', factor, code: '000000' }, 'wrong code'],
      [{ method: 'totp', factor: 'not-a-factor', code: appCode(secret) }, 'forged factor'],
      [{ method: 'nope' }, 'unknown method'],
      [{ method: 'webauthn', credential: '{"id":1}' }, 'malformed credential'],
    ] as const) {
      const r = await post(c, page, 'mfa-enroll', fields);
      expectClientError(r, what);
      expect(r.text, what).toContain(MFA_FAILED);
      last = r;
    }
    // The page after the last refusal shows the enrollment still under way: finish that one.
    secret = /id="totp-secret">([A-Z2-7]+)</.exec(last.text)?.[1] ?? '';
    const forged = await c.post(action(page, 'mfa-enroll'), {
      csrf: hiddenInput(page.text, 'csrf'),
      ticket: `${hiddenInput(page.text, 'ticket')}x`,
      method: 'totp',
      factor,
      code: appCode(secret),
    });
    expect(forged.status).toBe(400);
    const noCsrf = await c.post(action(page, 'mfa-enroll'), {
      ticket: hiddenInput(page.text, 'ticket'),
      method: 'totp',
      factor,
      code: appCode(secret),
    });
    expect(noCsrf.status).toBe(403);
    const { rows } = await s.server.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM mfa_factors WHERE sub = $1 AND confirmed_at IS NOT NULL',
      [IDS.alice],
    );
    expect(rows[0]?.n).toBe(0);
    // The right code finally.
    const ok = await post(c, last, 'mfa-enroll', {
      method: 'totp',
      factor: hiddenInput(last.text, 'factor'),
      code: appCode(secret),
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('Save your recovery codes');
  });

  it('codes: replayed, expired, malformed, injected and too long are refused alike and audited', async () => {
    const { c, page } = await afterPassword('alice');
    expect(page.text).toContain('Second factor');
    const cases: [string, string][] = [
      [appCode(secret), 'replayed'],
      [appCode(secret, -4), 'expired'],
      ['12345', 'too short'],
      ['1234567', 'too long by one'],
      ['abcdef', 'letters'],
      ['9'.repeat(10_000), 'ten thousand digits'],
      ...INJECTIONS.map((x): [string, string] => [x, `injection ${JSON.stringify(x)}`]),
    ];
    for (const [code, what] of cases) {
      const r = await post(c, page, 'mfa', { method: 'totp', code });
      expectClientError(r, what);
      expect(r.text, what).toContain(MFA_FAILED);
      const recovery = await post(c, page, 'mfa', { method: 'recovery', code });
      expectClientError(recovery, `recovery ${what}`);
    }
    const reasons = await failures('alice');
    expect(reasons).toEqual(
      expect.arrayContaining(['replayed_code', 'wrong_code', 'malformed_code']),
    );
    // Thirty refusals passed the lockout (10 per window): from then on even a right code gets
    // the same answer, and the trail says why.
    expect(reasons).toContain('locked');
    const fresh = await post(c, page, 'mfa', { method: 'totp', code: appCode(secret, 1) });
    expect(fresh.status).toBe(401);
    expect(fresh.text).toContain(MFA_FAILED);
  });

  it('a 1 MB body on the second-factor form is refused with 413, not read', async () => {
    const { page } = await afterPassword('alice');
    const path = action(page, 'mfa');
    const body = `code=${'1'.repeat(1024 * 1024)}`;
    const r = await rawRequest(
      s,
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(r.status).toBe(413);
  });

  it('passkey registration with the wrong origin, rpID, challenge or type stores nothing', async () => {
    const { c, page } = await afterPassword('bob');
    const challenge = challengeOf(page);
    const origin = s.issuer;
    const good = { challenge, origin, rpId: 'localhost' };
    for (const [answer, what] of [
      [{ ...good, origin: 'https://evil.example.com' }, 'origin'],
      [{ ...good, rpId: 'evil.example.com' }, 'rpID'],
      [{ ...good, challenge: 'AAAA' }, 'challenge'],
      [{ ...good, type: 'webauthn.get' }, 'type'],
    ] as const) {
      const r = await post(c, page, 'mfa-enroll', {
        method: 'webauthn',
        credential: JSON.stringify(softRegister(newSoftCredential(), answer)),
      });
      expectClientError(r, what);
      expect(r.text, what).toContain(MFA_FAILED);
    }
    const { rows } = await s.server.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM mfa_factors WHERE sub = $1 AND kind = 'webauthn'",
      [IDS.bob],
    );
    expect(rows[0]?.n, 'no passkey stored').toBe(0);
    // A fresh page, a fresh challenge, the right answer.
    const again = await afterPassword('bob');
    const r = await post(again.c, again.page, 'mfa-enroll', {
      method: 'webauthn',
      credential: JSON.stringify(
        softRegister(key, { challenge: challengeOf(again.page), origin, rpId: 'localhost' }),
      ),
    });
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.text).toContain('Save your recovery codes');
  });

  it('passkey assertions: wrong origin, rpID, challenge, type, signature, a counter going back, a reused challenge', async () => {
    const origin = s.issuer;
    const cases: [Parameters<typeof softAssert>[1] | 'reuse', string][] = [
      [{ challenge: '', origin: 'https://evil.example.com', rpId: 'localhost' }, 'origin'],
      [{ challenge: '', origin, rpId: 'evil.example.com' }, 'rpID'],
      [{ challenge: 'AAAA', origin, rpId: 'localhost' }, 'challenge'],
      [{ challenge: '', origin, rpId: 'localhost', type: 'webauthn.create' }, 'type'],
      [{ challenge: '', origin, rpId: 'localhost', tamper: true }, 'signature'],
      [{ challenge: '', origin, rpId: 'localhost', counter: 0 }, 'counter back to 0'],
    ];
    // A good one first: it moves the counter forward.
    let { c, page } = await afterPassword('bob');
    const good = softAssert(key, { challenge: challengeOf(page), origin, rpId: 'localhost' });
    const first = await follow(
      c,
      await post(c, page, 'mfa', { method: 'webauthn', credential: JSON.stringify(good) }),
    );
    expect(first.status, first.text.slice(0, 300)).toBe(303);
    // The same answer again (its challenge is used up).
    ({ c, page } = await afterPassword('bob'));
    const replay = await post(c, page, 'mfa', {
      method: 'webauthn',
      credential: JSON.stringify(good),
    });
    expectClientError(replay, 'replayed assertion');
    for (const [answer, what] of cases) {
      ({ c, page } = await afterPassword('bob'));
      if (answer === 'reuse') continue;
      const challenge = answer.challenge === '' ? challengeOf(page) : answer.challenge;
      const r = await post(c, page, 'mfa', {
        method: 'webauthn',
        credential: JSON.stringify(softAssert(key, { ...answer, challenge })),
      });
      expectClientError(r, what);
      expect(r.text, what).toContain(MFA_FAILED);
    }
    const reasons = await failures('bob');
    // simplewebauthn refuses a counter that does not go forward before sigil's own atomic check.
    expect(reasons.filter((r) => r === 'invalid_assertion').length).toBeGreaterThanOrEqual(6);
  });

  it("another person's passkey is refused for this person", async () => {
    // carol enrolls a TOTP so she has a factor; then answers with bob's credential.
    const { c, page } = await afterPassword('carol');
    const carolSecret = /id="totp-secret">([A-Z2-7]+)</.exec(page.text)?.[1] ?? '';
    const enrolled = await post(c, page, 'mfa-enroll', {
      method: 'totp',
      factor: hiddenInput(page.text, 'factor'),
      code: appCode(carolSecret),
    });
    expect(enrolled.status).toBe(200);
    const next = await afterPassword('carol');
    const r = await post(next.c, next.page, 'mfa', {
      method: 'webauthn',
      credential: JSON.stringify(
        softAssert(key, { challenge: 'AAAA', origin: s.issuer, rpId: 'localhost' }),
      ),
    });
    expectClientError(r, 'foreign credential');
    expect(await failures('carol')).toContain('foreign_credential');
  });

  it('brute force: wrong codes lock the second factor (also across a new password login), with the same answer', async () => {
    const { c, page } = await afterPassword('carol');
    let last: Res | undefined;
    for (let i = 0; i < 12; i++) {
      last = await post(c, page, 'mfa', { method: 'totp', code: String(100000 + i) });
      expectSafe(last, `guess ${i}`);
      expect(last.text).toContain(MFA_FAILED);
    }
    expect(await failures('carol')).toContain('locked');
    // Entering the password again does not reset the count: still locked.
    const again = await afterPassword('carol');
    const r = await post(again.c, again.page, 'mfa', { method: 'totp', code: '000000' });
    expect(r.text).toContain(MFA_FAILED);
    await flushAllAudit();
    const events = await queryAuditEvents(s.server.db, {
      event: 'mfa.failed',
      username: 'carol',
      limit: 1,
    });
    expect(events[0]?.reason).toBe('locked');
  });
});
