import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freezeClock, thawClock } from '../../support/clock.js';
import { createTestDatabase } from '../../support/postgres.js';
import { ALICE, startTestSigil, type TestSigil } from '../../support/sigil.js';
import { auditRows, BOB, openLogin, submit, users } from './support.js';

/**
 * Done-when of issue 6: 20 wrong passwords for one user from one IP lock that user across two
 * replicas (two sigil instances on one PostgreSQL database), for the configured time, while
 * another user logs in normally; the audit trail shows every attempt with its reason.
 */
describe('lockout across two replicas on one PostgreSQL database', () => {
  let a: TestSigil;
  let b: TestSigil;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase(inject('pgUrl'));
    drop = db.drop;
    const extra = {
      staticPasswords: await users(),
      // Back-off off: this test is about the lockout (back-off has its own test).
      throttle: { backoff: { initial: '0s' } },
    };
    a = await startTestSigil('postgres', extra, { databaseUrl: db.url });
    b = await startTestSigil('postgres', extra, { databaseUrl: db.url });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await drop();
  });

  it('locks alice after 10 failures for 15 minutes on both replicas; bob is not affected', async () => {
    const ca = a.client();
    const cb = b.client();
    const fa = await openLogin(ca);
    const fb = await openLogin(cb);

    const answers: { status: number; text: string; ms: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const [c, f] = i % 2 === 0 ? [ca, fa] : [cb, fb];
      const started = Date.now();
      const r = await submit(c, f, i % 3 === 0 ? 'Alice' : ALICE.username, `wrong password ${i}`);
      answers.push({ status: r.status, text: r.text, ms: Date.now() - started });
    }
    // Every answer is the same 401 login page with the same message: locked looks like wrong.
    for (const r of answers) {
      expect(r.status).toBe(401);
      expect(r.text).toContain('Invalid username or password.');
      expect(r.ms).toBeLessThan(5000); // refused at once, never held
    }
    const onA = answers
      .filter((_, i) => i % 2 === 0)
      .map((r) => r.text.replace(/value="Alice"/, 'value="alice"'));
    expect(new Set(onA).size).toBe(1); // byte-identical pages before and after the lockout

    // The right password is refused now, on both replicas, with the same page.
    const right = [
      await submit(ca, fa, ALICE.username, ALICE.password),
      await submit(cb, fb, ALICE.username, ALICE.password),
    ];
    for (const r of right) {
      expect(r.status).toBe(401);
      expect(r.text).toBe(
        answers[r === right[0] ? 0 : 1]!.text.replace(/value="Alice"/, 'value="alice"'),
      );
    }

    // Bob, from the same IP, logs in normally on both replicas.
    for (const s of [a, b]) {
      const c = s.client();
      const r = await submit(c, await openLogin(c), BOB.username, BOB.password);
      expect(r.status, r.text.slice(0, 200)).toBe(303);
    }

    // The trail: 10 bad_password failures, then `locked` for everything after.
    const rows = await auditRows(a.server.db, "event = 'login' AND lower(username) = 'alice'");
    expect(rows).toHaveLength(22);
    // `Alice` is not a user of the static connector (unknown_user), but it is the same
    // normalised username: both spellings count against one counter.
    expect(rows.slice(0, 10).map((r) => [r.outcome, r.reason])).toEqual(
      Array.from({ length: 10 }, (_, i) => [
        'failure',
        i % 3 === 0 ? 'unknown_user' : 'bad_password',
      ]),
    );
    expect(rows.slice(10).map((r) => [r.outcome, r.reason])).toEqual(
      Array.from({ length: 12 }, () => ['locked', 'locked']),
    );
    for (const r of rows) {
      expect(r.ip).toBe('127.0.0.1');
      expect(r.client_id).toBe('kubectl');
      expect(JSON.stringify(r)).not.toContain('wrong password');
      expect(JSON.stringify(r)).not.toContain(ALICE.password);
    }
    expect(rows[9]!.details['lockedForSec']).toBe(900);
    const retry = Number(rows[21]!.details['retryAfterSec']);
    expect(retry).toBeGreaterThan(880);
    expect(retry).toBeLessThanOrEqual(900);
    // Both replicas wrote to the one trail.
    const bobRows = await auditRows(b.server.db, "event = 'login' AND username = 'bob'");
    expect(bobRows.map((r) => r.outcome)).toEqual(['success', 'success']);

    // The lock row: alice only, 15 minutes from the 10th failure.
    const { rows: locks } = await a.server.db.query<{ scope: string; key: string; secs: number }>(
      `SELECT scope, key, extract(epoch FROM locked_until - last_failure)::int AS secs
         FROM login_throttle WHERE locked_until IS NOT NULL`,
    );
    expect(locks).toEqual([{ scope: 'user', key: 'alice', secs: 900 }]);
  });
});

describe('lockout expiry and back-off (short durations)', () => {
  let s: TestSigil;
  beforeAll(async () => {
    s = await startTestSigil('pglite', {
      staticPasswords: await users(),
      throttle: {
        username: { maxFailures: 4, window: '1m', lockout: '2s' },
        backoff: { after: 2, initial: '1s', max: '1s' },
      },
    });
  });
  afterAll(async () => {
    await s.close();
  });

  afterEach(() => {
    thawClock();
  });

  it('refuses at once during back-off, lets the right password in after it, and unlocks after the lockout', async () => {
    // The clock is sigil's (in this process): frozen, and moved to each edge of the rules.
    const clock = freezeClock();
    const c = s.client();
    const f = await openLogin(c);
    expect((await submit(c, f, 'alice', 'nope 1')).status).toBe(401);
    expect((await submit(c, f, 'alice', 'nope 2')).status).toBe(401);
    // Two failures: an attempt within the 1 s back-off, up to its last millisecond, is refused
    // without checking the password, and at once (never held).
    clock.advance(999);
    const started = performance.now();
    const early = await submit(c, f, 'alice', ALICE.password);
    expect(early.status).toBe(401);
    expect(performance.now() - started).toBeLessThan(900);
    clock.advance(1); // the back-off is over: the password is checked again
    expect((await submit(c, f, 'alice', 'nope 3')).status).toBe(401);
    clock.advance(1000);
    expect((await submit(c, f, 'alice', 'nope 4')).status).toBe(401); // 4th failure: locked 2 s
    clock.advance(1999);
    expect((await submit(c, f, 'alice', ALICE.password)).status).toBe(401); // still locked
    clock.advance(1); // 2 s after the 4th failure
    const ok = await submit(c, f, 'alice', ALICE.password);
    expect(ok.status, ok.text.slice(0, 200)).toBe(303);

    const rows = await auditRows(s.server.db, "event = 'login'");
    expect(rows.map((r) => `${r.outcome}:${r.reason ?? ''}`)).toEqual([
      'failure:bad_password',
      'failure:bad_password',
      'locked:throttled',
      'failure:bad_password',
      'failure:bad_password',
      'locked:locked',
      'success:',
    ]);
    // Success cleared alice's counter.
    const { rows: left } = await s.server.db.query(
      "SELECT 1 FROM login_throttle WHERE scope = 'user'",
    );
    expect(left).toHaveLength(0);
  });
});
