import type { Queryable } from '../storage/index.js';

/** When the signing key in service became active, read from the database every replica shares. */
export function activeKeyActivatedAt(db: Queryable): () => Promise<Date | undefined> {
  return async () => {
    const { rows } = await db.query<{ at: Date | string | null }>(
      "SELECT coalesce(activated_at, created_at) AS at FROM signing_keys WHERE state = 'active' LIMIT 1",
    );
    const at = rows[0]?.at;
    return at === undefined || at === null ? undefined : new Date(at);
  };
}
