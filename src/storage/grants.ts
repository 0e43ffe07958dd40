import type { Queryable } from './db.js';
import { rotationIncomplete } from './payload-store.js';

/**
 * Ends every grant whose live refresh token (unexpired, and unconsumed or with an incomplete
 * rotation) was issued before `cutoff`, i.e. every grant last refreshed before then: all of
 * the grant's rows go, and the sessions of the accounts they belong to. This reads
 * oidc-provider's stored payloads (`iat`, `accountId`), which is why it lives here, beside
 * the table. Idempotent (`sigil keys revoke` runs it again once lagging replicas caught up).
 */
export async function endGrantsLastRefreshedBefore(
  q: Queryable,
  cutoff: Date,
): Promise<{ grants: number; sessions: number }> {
  const { rows } = await q.query<{ grants: number; sessions: number }>(
    `WITH affected AS (
       SELECT DISTINCT grant_id, payload->>'accountId' AS account_id
         FROM oidc_payload
        WHERE kind = 'RefreshToken' AND grant_id IS NOT NULL
          AND (consumed_at IS NULL OR ${rotationIncomplete('oidc_payload')})
          AND (expires_at IS NULL OR expires_at > now())
          AND to_timestamp((payload->>'iat')::double precision) < $1
     ), tokens AS (
       DELETE FROM oidc_payload
        WHERE grant_id IN (SELECT grant_id FROM affected)
           OR (kind = 'Grant' AND id IN (SELECT grant_id FROM affected))
       RETURNING kind
     ), sessions AS (
       DELETE FROM oidc_payload
        WHERE kind = 'Session'
          AND payload->>'accountId' IN (SELECT account_id FROM affected WHERE account_id IS NOT NULL)
       RETURNING 1
     )
     SELECT (SELECT count(DISTINCT grant_id) FROM affected)::int AS grants,
            (SELECT count(*) FROM sessions)::int AS sessions,
            (SELECT count(*) FROM tokens)::int AS _tokens`,
    [cutoff],
  );
  return { grants: rows[0]?.grants ?? 0, sessions: rows[0]?.sessions ?? 0 };
}
