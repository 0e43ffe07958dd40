import type { Queryable, SqlValue } from './db.js';
import type { PendingWrite, RequestMemo } from './read-memo.js';

/**
 * Sends the writes a request held back (RequestMemo.deferWrites) as one statement: each but
 * the last in a data-modifying `WITH` (PostgreSQL runs every one of them to completion, in the
 * same snapshot), the last as the statement itself. One statement is atomic: either every
 * write of the answer is stored or none is, and the request answers with an error instead of
 * what it would have sent. The writes change distinct rows (a second write of a row sends the
 * first before it is held back), so their order within the statement does not matter.
 */
export async function sendWrites(db: Queryable, writes: readonly PendingWrite[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1) {
    const [w] = writes as [PendingWrite];
    await db.query(w.sql, w.params);
    return;
  }
  const params: SqlValue[] = [];
  const parts = writes.map((w) => {
    const offset = params.length;
    params.push(...w.params);
    return w.sql.replace(/\$(\d+)/g, (_m, n: string) => `$${String(Number(n) + offset)}`);
  });
  const last = parts.pop() ?? '';
  const ctes = parts.map((sql, i) => `w${String(i)} AS (${sql})`).join(',\n');
  await db.query(`WITH ${ctes}\n${last}`, params);
}

/**
 * Sends `writes` (taken from `memo`), then runs what waited for them to be stored
 * (RequestMemo.holdUntilStored, in order). When they fail, what waited is dropped and the
 * error is thrown: nothing reports as done what was not stored.
 */
export async function storeHeldWrites(
  db: Queryable,
  memo: RequestMemo,
  writes: readonly PendingWrite[],
): Promise<void> {
  try {
    await sendWrites(db, writes);
  } catch (err) {
    memo.takeHeld();
    throw err;
  }
  for (const fn of memo.takeHeld()) fn();
}
