import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import {
  listLiveRevocations,
  migrate,
  pruneRevocations,
  recordRevocations,
  type NewRevocation,
} from '../../../src/storage/index.js';
import { STORAGE_BACKENDS } from './backends.js';
import type { ConformanceDb } from './conformance.js';

const T0 = new Date('2026-12-05T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/**
 * login_revocations (migrations/0005), the same cases on PostgreSQL and PGlite: the deny
 * entries every cluster's AuthenticationConfiguration is built from.
 */
describe.each(STORAGE_BACKENDS)('login_revocations on %s', (_name, open) => {
  let h: ConformanceDb;
  beforeAll(async () => {
    h = await open('revocations');
    await migrate(h.db);
  });
  afterAll(async () => {
    await h.cleanup();
  });
  beforeEach(async () => {
    await h.db.query('DELETE FROM login_revocations');
  });

  it('records the three kinds and lists them back as they were', async () => {
    const entries: NewRevocation[] = [
      {
        kind: 'session',
        sid: 'AbCdEfGhIjKlMnOpQrStUv',
        sub: 'u-1',
        reason: 'session_ended',
        actor: { kind: 'person', id: 'u-1' },
        keepUntil: at(900),
      },
      {
        kind: 'subject',
        sub: 'o\'brien\\"ü ✓ 日本',
        notBefore: at(0),
        reason: 'account_disabled',
        keepUntil: at(900),
      },
      {
        kind: 'window',
        iatFrom: at(-3600),
        iatUntil: at(5),
        kid: 'k1',
        reason: 'key_revoked',
        actor: { kind: 'operator', id: 'root' },
        keepUntil: at(905),
      },
    ];
    expect(await recordRevocations(h.db, entries)).toBe(3);
    const live = await listLiveRevocations(h.db, T0);
    const withoutIds = live.map((e) => {
      const copy: Record<string, unknown> = { ...e };
      delete copy['id'];
      delete copy['createdAt'];
      return copy;
    });
    expect(withoutIds).toEqual([entries[0], entries[1], entries[2]]);
    for (const e of live) expect(e.createdAt).toBeInstanceOf(Date);
  });

  it('lists only entries whose keepUntil has not passed, and prunes the others', async () => {
    await recordRevocations(h.db, [
      { kind: 'session', sid: 'old', reason: 'session_ended', keepUntil: at(-1) },
      { kind: 'session', sid: 'edge', reason: 'session_ended', keepUntil: at(0) },
      { kind: 'session', sid: 'new', reason: 'session_ended', keepUntil: at(1) },
    ]);
    expect((await listLiveRevocations(h.db, T0)).map((e) => e.kind === 'session' && e.sid)).toEqual(
      ['new'],
    );
    expect(await pruneRevocations(h.db, T0)).toBe(2);
    expect(await pruneRevocations(h.db, T0)).toBe(0);
    const { rows } = await h.db.query<{ sid: string }>('SELECT sid FROM login_revocations');
    expect(rows).toEqual([{ sid: 'new' }]);
  });

  it('prunes in bounded batches', async () => {
    await recordRevocations(
      h.db,
      Array.from({ length: 25 }, (_, i) => ({
        kind: 'session' as const,
        sid: `s${i}`,
        reason: 'session_ended',
        keepUntil: at(-1 - i),
      })),
    );
    expect(await pruneRevocations(h.db, T0, 10)).toBe(10);
    expect(await pruneRevocations(h.db, T0, 10)).toBe(10);
    expect(await pruneRevocations(h.db, T0, 10)).toBe(5);
  });

  it('writes all entries or none', async () => {
    const err = await recordRevocations(h.db, [
      { kind: 'session', sid: 'fine', reason: 'session_ended', keepUntil: at(60) },
      { kind: 'session', sid: 'nul\u0000', reason: 'session_ended', keepUntil: at(60) },
    ]).catch((e: unknown) => e);
    expect(isAppError(err, 'STORAGE_INVALID_INPUT')).toBe(true);
    expect(await listLiveRevocations(h.db, T0)).toEqual([]);
  });

  it.each([
    ['an empty sid', { kind: 'session', sid: '', reason: 'x', keepUntil: at(1) }],
    [
      'an oversized sub',
      { kind: 'subject', sub: 'x'.repeat(1025), notBefore: T0, reason: 'x', keepUntil: at(1) },
    ],
    [
      'a window that ends before it starts',
      { kind: 'window', iatFrom: at(5), iatUntil: at(5), reason: 'x', keepUntil: at(1) },
    ],
    [
      'an invalid date',
      { kind: 'subject', sub: 'u', notBefore: new Date(Number.NaN), reason: 'x', keepUntil: at(1) },
    ],
  ] as [string, NewRevocation][])('refuses %s with STORAGE_INVALID_INPUT', async (_what, entry) => {
    const err = await recordRevocations(h.db, [entry]).catch((e: unknown) => e);
    expect(isAppError(err, 'STORAGE_INVALID_INPUT')).toBe(true);
  });

  it('refuses rows that break the table constraints even past the checks in code', async () => {
    const err = await h.db
      .query(
        `INSERT INTO login_revocations (kind, reason, keep_until) VALUES ('subject', 'x', now())`,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
  });
});
