import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  memoKeys,
  migrate,
  PayloadStore,
  RequestMemo,
  sendWrites,
  type Db,
  type Queryable,
} from '../../../src/storage/index.js';
import { STORAGE_BACKENDS } from './backends.js';
import type { ConformanceDb } from './conformance.js';

/**
 * The request's held-back writes (RequestMemo.deferWrites, sent by sendWrites), on PostgreSQL
 * and PGlite: nothing reaches the database until the request sends them, then all of them in
 * one statement; the request reads its own writes; a second write of a row sends the first.
 */
describe.each(STORAGE_BACKENDS)('write-behind on %s', (_name, open) => {
  let h: ConformanceDb;
  let sent: string[];
  let db: Db;
  const memo = new RequestMemo();
  const store = (model: string) => new PayloadStore(db, model, { memo });
  const rows = async (q: Queryable) =>
    (
      await q.query<{ kind: string; id: string; consumed: boolean }>(
        `SELECT kind, id, consumed_at IS NOT NULL AS consumed FROM oidc_payload
          WHERE kind IN ('Session', 'Grant', 'AccessToken') ORDER BY kind, id`,
      )
    ).rows;

  beforeAll(async () => {
    h = await open('write_behind');
    await migrate(h.db);
    db = {
      ...h.db,
      query: (sql, params) => {
        sent.push(sql.trim().slice(0, 20));
        return h.db.query(sql, params);
      },
    };
  });
  afterAll(async () => {
    await h.cleanup();
  });
  beforeEach(async () => {
    await h.db.query(`DELETE FROM oidc_payload WHERE kind IN ('Session', 'Grant', 'AccessToken')`);
    sent = [];
  });

  it('holds writes back until sent, then sends them as one statement', async () => {
    await memo.run(async () => {
      expect(memo.deferWrites()).toBe(true);
      await store('Session').upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
      await store('Grant').upsert('g1', { accountId: 'a' }, 60);
      await store('AccessToken').upsert('t1', { grantId: 'g1' }, 60);
      await store('AccessToken').consume('t1-other');
      expect(sent).toEqual([]);
      expect(await rows(h.db)).toEqual([]);
      await sendWrites(db, memo.endDeferral());
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^WITH w0 AS/);
    expect((await rows(h.db)).map((r) => r.kind)).toEqual(['AccessToken', 'Grant', 'Session']);
  });

  it('a read sends what is pending first, and sees it', async () => {
    await memo.run(async () => {
      memo.deferWrites();
      await store('Grant').upsert('g2', { accountId: 'b' }, 60);
      expect(sent).toEqual([]);
      const found = await store('Grant').find('g2');
      expect(found).toMatchObject({ accountId: 'b' });
      expect(sent).toHaveLength(2);
      expect(memo.pending()).toBe(false);
    });
  });

  it('a second write of a pending row sends the first; a destroy of it then wins', async () => {
    await memo.run(async () => {
      memo.deferWrites();
      await store('Session').upsert('s3', { uid: 'u3' }, 60);
      expect(memo.pending(memoKeys.payload('Session', 's3'))).toBe(true);
      await store('Session').destroy('s3');
      // The upsert went on its own; the destroy waits.
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatch(/^INSERT INTO oidc_pay/);
      expect(memo.pending(memoKeys.payload('Session', 's3'))).toBe(true);
      await sendWrites(db, memo.endDeferral());
    });
    expect(await rows(h.db)).toEqual([]);
  });

  it('revokeByGrantId deletes the grant rows still pending too', async () => {
    await memo.run(async () => {
      memo.deferWrites();
      await store('AccessToken').upsert('t4', { grantId: 'g4' }, 60);
      await store('AccessToken').revokeByGrantId('g4');
      expect(memo.pending()).toBe(false);
    });
    expect(await rows(h.db)).toEqual([]);
  });

  it('outside a deferring request every write goes at once', async () => {
    await memo.run(async () => {
      await store('Grant').upsert('g5', { accountId: 'c' }, 60);
      expect(sent).toHaveLength(1);
    });
    await store('Grant').upsert('g6', { accountId: 'c' }, 60);
    expect(sent).toHaveLength(2);
    expect((await rows(h.db)).map((r) => r.id)).toEqual(['g5', 'g6']);
  });
});
