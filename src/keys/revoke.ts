import { AppError } from '../errors.js';
import {
  endGrantsLastRefreshedBefore,
  LOCKS,
  recordRevocations,
  type Db,
  type Queryable,
} from '../storage/index.js';
import { emitAll, type KeyEvent, type KeyEventListener } from './events.js';
import { generateSigningKey, insertKey, type KeySealer } from './keystore.js';
import type { KeyPolicy } from './policy.js';

/**
 * The emergency path for a leaked key (`sigil keys revoke KID`):
 *
 * 1. The key leaves the JWKS at once: it becomes `revoked` (its private key is wiped) and
 *    every replica drops it at its next poll; verifiers drop it when their cached JWKS
 *    expires (Cache-Control max-age, at most the lead time).
 * 2. If it was the active key, the published next key signs from now on (a verifier that
 *    cached the JWKS already knows it); with no next key a fresh one is created. A new next
 *    key is created in any case.
 * 3. Every refresh token whose tokens it may have signed has to re-authenticate through the
 *    connector. The rule (no per-token bookkeeping needed): a grant is ended when its live
 *    refresh token was issued before the key stopped signing (plus the propagation time of a
 *    lagging replica). Such a grant's latest id_token may carry the key's signature; a grant
 *    refreshed since then got tokens from a newer key and is untouched. Ended grants lose all
 *    their tokens, and the accounts they belong to lose their sessions at sigil, so the next
 *    login asks for the password again instead of silently reusing a session. Revoking an
 *    active key therefore logs everybody out; revoking a `next` key ends nothing (it never
 *    signed).
 * 4. The id_tokens it signed stay valid at API servers that cached the key (go-oidc keeps a
 *    key until it sees an unknown kid): a `window` deny entry (login_revocations) refuses every
 *    token issued while the key could sign, from its activation to the cutoff, until they have
 *    all expired (cutoff + the retired-key retention: longest lifetime + skew + propagation).
 */
export interface RevokeResult {
  readonly kid: string;
  /** The state before revocation; `revoked` when it already was (nothing more was done). */
  readonly previousState: string;
  readonly activated: string | undefined;
  readonly created: readonly string[];
  /** Grants ending before this instant were ended (undefined: none had to be). */
  readonly cutoff: Date | undefined;
  readonly grantsRevoked: number;
  readonly sessionsEnded: number;
  /** The iat range the clusters now refuse (undefined: the key never signed). */
  readonly window?: { readonly from: Date; readonly until: Date };
}

/** The window deny entry of a revoked key: every token it may have signed (see 4. above). */
async function recordKeyWindow(
  tx: Queryable,
  kid: string,
  activatedAt: Date | null,
  cutoff: Date | undefined,
  policy: KeyPolicy,
  actor: RevokeActor | undefined,
): Promise<{ from: Date; until: Date } | undefined> {
  if (cutoff === undefined || activatedAt === null) return undefined;
  const window = { from: new Date(activatedAt), until: cutoff };
  if (!(window.from < window.until)) return undefined;
  await recordRevocations(tx, [
    {
      kind: 'window',
      iatFrom: window.from,
      iatUntil: window.until,
      kid,
      reason: 'key_revoked',
      actor: actor ?? { kind: 'operator', id: 'unknown' },
      keepUntil: new Date(window.until.getTime() + policy.retainMs),
    },
  ]);
  return window;
}

/** The keys that take over from a revoked one: the next key signs, a new next key is made. */
async function successors(
  tx: Queryable,
  sealer: KeySealer,
  policy: KeyPolicy,
  state: string,
  fresh: Awaited<ReturnType<typeof generateSigningKey>>,
): Promise<{ activated: string | undefined; created: string[] }> {
  const created: string[] = [];
  let activated: string | undefined;
  if (state === 'active') {
    const next = await tx.query<{ kid: string }>(
      `UPDATE signing_keys SET state = 'active', activated_at = now()
        WHERE state = 'next' RETURNING kid`,
    );
    activated = next.rows[0]?.kid;
    if (activated === undefined) {
      activated = await insertKey(tx, sealer, policy.alg, 'active');
      created.push(activated);
    }
  }
  if (state === 'active' || state === 'next')
    created.push(await insertKey(tx, sealer, policy.alg, 'next', fresh));
  return { activated, created };
}

type RevokeActor = { kind: 'operator' | 'person' | 'client' | 'system'; id: string };

export async function revokeKey(
  db: Db,
  sealer: KeySealer,
  policy: KeyPolicy,
  kid: string,
  opts: {
    onEvent?: KeyEventListener;
    /** Who revoked it, for the deny entry (`sigil keys revoke`: the OS user). */
    actor?: RevokeActor;
  } = {},
): Promise<RevokeResult> {
  const fresh = await generateSigningKey(policy.alg);
  const events: KeyEvent[] = [];
  const result = await db.withAdvisoryLock(LOCKS.keys, () =>
    db.transaction(async (tx) => {
      const { rows } = await tx.query<{
        state: string;
        cutoff: Date | null;
        activated_at: Date | null;
      }>(
        `SELECT state, activated_at,
                CASE state
                  WHEN 'active' THEN now()
                  WHEN 'retired' THEN retired_at
                END + $2::double precision * interval '1 millisecond' AS cutoff
           FROM signing_keys WHERE kid = $1 FOR UPDATE`,
        [kid, policy.propagationMs],
      );
      const row = rows[0];
      if (row === undefined) throw new AppError('KEY_NOT_FOUND', `no signing key ${kid}`);
      const base = { kid, previousState: row.state, activated: undefined, created: [] };
      if (row.state === 'revoked')
        return { ...base, cutoff: undefined, grantsRevoked: 0, sessionsEnded: 0 };

      await tx.query(
        `UPDATE signing_keys
            SET state = 'revoked', retired_at = COALESCE(retired_at, now()), remove_after = now(),
                private_jwk = '', encrypted = false
          WHERE kid = $1`,
        [kid],
      );
      const { activated, created } = await successors(tx, sealer, policy, row.state, fresh);
      const cutoff = row.cutoff === null ? undefined : new Date(row.cutoff);
      const window = await recordKeyWindow(tx, kid, row.activated_at, cutoff, policy, opts.actor);
      const ended =
        cutoff === undefined
          ? { grants: 0, sessions: 0 }
          : await endGrantsLastRefreshedBefore(tx, cutoff);
      events.push({
        type: 'key.revoked',
        kid,
        reason: 'manual',
        grantsRevoked: ended.grants,
        sessionsEnded: ended.sessions,
      });
      if (activated !== undefined)
        events.push({ type: 'key.activated', kid: activated, reason: 'revocation' });
      for (const c of created)
        if (c !== activated) events.push({ type: 'key.created', kid: c, reason: 'revocation' });
      return {
        ...base,
        activated,
        created,
        cutoff,
        grantsRevoked: ended.grants,
        sessionsEnded: ended.sessions,
        ...(window === undefined ? {} : { window }),
      };
    }),
  );
  if (result === undefined) throw new AppError('KEYS_UNAVAILABLE', 'the keys lock was not taken');
  emitAll(opts.onEvent, events);
  return result;
}
