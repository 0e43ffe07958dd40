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

/** What of oidc-provider's rows to delete when sessions end (endGrantPayloads). */
export interface GrantEnding {
  /** Grants whose every row goes (tokens, codes, the grant itself). */
  readonly grantIds: readonly string[];
  /** Session ids whose sigil web sessions (/home) go. */
  readonly sids: readonly string[];
  /** Offboarding: every row of these accounts (grants, tokens, device codes, sessions, /home). */
  readonly accounts: readonly string[];
  /** Browser sessions and approved device codes of these accounts go too... */
  readonly browserSessionsOf: readonly string[];
  /** ...except this browser session (uid) and this grant ("sign out everywhere else"). */
  readonly keepBrowserSession?: string | undefined;
  readonly keepGrant?: string | undefined;
}

/**
 * Deletes oidc-provider's stored rows of ended sessions, in one statement: afterwards their
 * refresh tokens are `invalid_grant` and their access tokens inactive on every replica (the
 * provider keeps nothing of them in memory). Returns how many rows of each sort went.
 */
export async function endGrantPayloads(
  q: Queryable,
  e: GrantEnding,
): Promise<{ tokens: number; browserSessions: number; deviceCodes: number }> {
  const { rows } = await q.query<{ tokens: number; browser: number; devices: number }>(
    `WITH g AS (SELECT jsonb_array_elements_text($1::jsonb) AS id),
          s AS (SELECT jsonb_array_elements_text($2::jsonb) AS id),
          a AS (SELECT jsonb_array_elements_text($3::jsonb) AS id),
          b AS (SELECT jsonb_array_elements_text($4::jsonb) AS id),
     tokens AS (
       DELETE FROM oidc_payload
        WHERE grant_id IN (SELECT id FROM g)
           OR (kind = 'Grant' AND id IN (SELECT id FROM g))
           OR (kind NOT IN ('Session', 'DeviceCode', 'WebSession')
               AND payload->>'accountId' IN (SELECT id FROM a))
       RETURNING 1
     ), browser AS (
       DELETE FROM oidc_payload
        WHERE kind = 'Session'
          AND payload->>'accountId' IN (SELECT id FROM a UNION SELECT id FROM b)
          AND uid IS DISTINCT FROM $5::text
       RETURNING 1
     ), devices AS (
       DELETE FROM oidc_payload
        WHERE kind = 'DeviceCode'
          AND payload->>'accountId' IN (SELECT id FROM a UNION SELECT id FROM b)
          AND grant_id IS DISTINCT FROM $6::text
       RETURNING 1
     ), web AS (
       DELETE FROM oidc_payload
        WHERE kind = 'WebSession'
          AND (payload->'extra'->>'sid' IN (SELECT id FROM s)
               OR payload->'extra'->>'sub' IN (SELECT id FROM a))
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM tokens)::int AS tokens,
            (SELECT count(*) FROM browser)::int + (SELECT count(*) FROM web)::int AS browser,
            (SELECT count(*) FROM devices)::int AS devices`,
    [
      JSON.stringify(e.grantIds),
      JSON.stringify(e.sids),
      JSON.stringify(e.accounts),
      JSON.stringify(e.browserSessionsOf),
      e.keepBrowserSession ?? null,
      e.keepGrant ?? null,
    ],
  );
  const r = rows[0];
  return {
    tokens: r?.tokens ?? 0,
    browserSessions: r?.browser ?? 0,
    deviceCodes: r?.devices ?? 0,
  };
}
