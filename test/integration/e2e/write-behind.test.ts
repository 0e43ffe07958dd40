import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import type { Db } from '../../../src/storage/index.js';
import { authPath, pkce } from '../../support/auth-request.js';
import {
  codeGrant,
  follow,
  kubeloginTokens,
  KUBECTL,
  LOOPBACK,
  refreshGrant,
  submitLogin,
  withRefreshToken,
  type Tokens,
} from '../../support/oidc-flow.js';
import { ALICE, startTestSigil, type Backend, type TestSigil } from '../../support/sigil.js';

/**
 * oidc-provider's writes of one request are held back and sent as one statement just before
 * the answer (src/oidc/write-behind.ts). When that statement fails, none of its writes is
 * stored and the answer becomes the error (503 for an outage), so the same code, refresh token
 * or interaction works again once the database answers.
 */
function failingWrites(): { wrap(db: Db): Db; failNext(): void; failed(): number } {
  let armed = false;
  let failed = 0;
  const fail = (sql: string): boolean => {
    if (!armed || !/^\s*WITH w0 AS/.test(sql)) return false;
    armed = false;
    failed++;
    return true;
  };
  return {
    wrap: (db) => ({
      kind: db.kind,
      query: (sql, params) =>
        fail(sql)
          ? Promise.reject(new AppError('DB_UNAVAILABLE', 'the database cannot be reached: test'))
          : db.query(sql, params),
      transaction: (fn) => db.transaction(fn),
      withAdvisoryLock: (key, fn, opts) => db.withAdvisoryLock(key, fn, opts),
      ping: (t) => db.ping(t),
      close: () => db.close(),
    }),
    failNext: () => {
      armed = true;
    },
    failed: () => failed,
  };
}

describe.each<Backend>(['postgres', 'pglite'])(
  'a request whose writes cannot be stored answers 503 and changes nothing (%s)',
  (backend) => {
    let s: TestSigil;
    const writes = failingWrites();

    beforeAll(async () => {
      s = await startTestSigil(backend, {}, { wrapDb: (db) => writes.wrap(db) });
    });
    afterAll(async () => {
      await s.close();
    });

    /** The audit events logged so far (the log line is written at once, the row later). */
    const audited = (event: string) =>
      s.logs
        .map((l) => l['audit'] as { event?: string; reason?: string } | undefined)
        .filter((a) => a?.event === event);

    /** GET /auth and the login form, up to the redirect to the resume (/auth/:uid). */
    async function loginUpToResume(c: ReturnType<TestSigil['client']>) {
      const { verifier, challenge } = pkce();
      const state = randomBytes(8).toString('hex');
      const auth = authPath({
        clientId: KUBECTL.clientId,
        redirectUri: LOOPBACK,
        scope: 'openid email groups',
        challenge,
        state,
      });
      const page = await follow(c, await c.get(auth));
      expect(page.status, page.text.slice(0, 300)).toBe(200);
      const posted = await submitLogin(c, page, ALICE);
      expect(posted.status, posted.text.slice(0, 300)).toBe(303);
      const resume = new URL(posted.location!, c.base);
      expect(resume.pathname).toMatch(/\/auth\/[\w-]+$/);
      return { verifier, resume: resume.pathname + resume.search };
    }

    it('the resume: an error page without the redirect, then the same resume gives a code', async () => {
      const c = s.client();
      const { verifier, resume } = await loginUpToResume(c);
      writes.failNext();
      const before = writes.failed();
      const failed = await c.get(resume);
      expect(writes.failed()).toBe(before + 1);
      expect(failed.status, failed.text.slice(0, 300)).toBe(503);
      expect(failed.location).toBeUndefined();
      expect(failed.text).toContain('temporarily_unavailable');
      // Nothing of the resume was stored: the interaction is still there to resume.
      const again = await c.get(resume);
      expect(again.status, again.text.slice(0, 300)).toBe(303);
      const code = new URL(again.location!).searchParams.get('code');
      expect(code).toEqual(expect.any(String));
      const tok = await codeGrant(
        c,
        { code: code!, verifier },
        { ...KUBECTL, redirectUri: LOOPBACK },
      );
      expect(tok.status, tok.text).toBe(200);
    });

    it('the code exchange: 503 temporarily_unavailable, then the same code gives tokens once', async () => {
      const c = s.client();
      const { verifier, resume } = await loginUpToResume(c);
      const redirect = await c.get(resume);
      const code = new URL(redirect.location!).searchParams.get('code')!;
      const o = { ...KUBECTL, redirectUri: LOOPBACK };
      writes.failNext();
      const issued = audited('token.issued').length;
      const failed = await codeGrant(c, { code, verifier }, o);
      expect(failed.status, failed.text).toBe(503);
      expect(failed.json()).toMatchObject({ error: 'temporarily_unavailable' });
      // No tokens were stored, so none is audited as issued.
      expect(audited('token.issued')).toHaveLength(issued);
      // The consume was not stored either: the code still works, and only once.
      const ok = await codeGrant(c, { code, verifier }, o);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json<Tokens>().id_token).toEqual(expect.any(String));
      const reused = await codeGrant(c, { code, verifier }, o);
      expect(reused.status).toBe(400);
      expect(reused.json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('a refresh: 503, then the same refresh token is refreshed', async () => {
      const c = s.client();
      const t = withRefreshToken(await kubeloginTokens(c, ALICE));
      writes.failNext();
      const refreshed = audited('token.refreshed').length;
      const denied = audited('token.refresh_denied').length;
      const failed = await refreshGrant(c, t.refresh_token);
      expect(failed.status, failed.text).toBe(503);
      expect(failed.json()).toMatchObject({ error: 'temporarily_unavailable' });
      // Audited as a failed refresh, as when a write fails inside the provider.
      expect(audited('token.refreshed')).toHaveLength(refreshed);
      expect(audited('token.refresh_denied').slice(denied)).toEqual([
        expect.objectContaining({ reason: 'temporarily_unavailable' }),
      ]);
      const ok = await refreshGrant(c, t.refresh_token);
      expect(ok.status, ok.text).toBe(200);
      expect(audited('token.refreshed')).toHaveLength(refreshed + 1);
      const next = ok.json<Tokens>().refresh_token;
      expect(next).toEqual(expect.any(String));
      expect(next).not.toBe(t.refresh_token);
      // The rotation was stored: the new token works.
      expect((await refreshGrant(c, next ?? '')).status).toBe(200);
    });
  },
);
