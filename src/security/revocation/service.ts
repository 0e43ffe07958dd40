import type { Logger } from '../../log.js';
import {
  listLiveRevocations,
  recordRevocations,
  type NewRevocation,
  type Queryable,
  type RevocationActor,
  type StoredRevocation,
} from '../../storage/index.js';
import type { Audit } from '../audit.js';
import { keepUntil, type RevocationPolicy } from './policy.js';

/**
 * The one service every trigger calls to stop tokens that were already issued: it turns
 * "this login / this person / this key's tokens" into deny entries (login_revocations) with
 * the right keepUntil, and records that it did (audit `revocation.recorded`). Each cluster's
 * AuthenticationConfiguration is built from the live entries (src/kube/revocation/).
 *
 * Triggers: every ending of sessions (14's endSessions → revokeSessions), a directory account
 * found deleted, disabled, locked or expired at refresh (oidc/accounts.ts → revokeSubject),
 * a refresh token reused after the grace window (oidc/revocation-events.ts → revokeSessions),
 * `sigil keys revoke` (keys/revoke.ts records the key's window in its own transaction).
 */
export interface RevocationCause {
  /** Short slug: `session_ended`, `account_disabled`, `refresh_token_reuse`, … */
  readonly reason: string;
  readonly actor: RevocationActor;
}

export interface Revocations {
  /** Every token of these logins (`sid` claims) is refused from now on. */
  revokeSessions(
    q: Queryable,
    sessions: readonly { readonly sid: string; readonly sub?: string | undefined }[],
    cause: RevocationCause,
  ): Promise<number>;
  /** The person's tokens issued before now (or `notBefore`) are refused. */
  revokeSubject(
    q: Queryable,
    sub: string,
    cause: RevocationCause,
    notBefore?: Date,
  ): Promise<number>;
  /**
   * Tokens of these logins issued before `before` are refused, until `keepUntil` (when every
   * such token has expired): an elevation grant ended early. Later tokens of the same logins
   * (the next refresh) are not.
   */
  revokeSessionsBefore(
    q: Queryable,
    sessions: readonly { readonly sid: string; readonly sub?: string | undefined }[],
    before: Date,
    keepUntil: Date,
    cause: RevocationCause,
  ): Promise<number>;
  /** Live entries, for the clusters' configurations. */
  live(q: Queryable): Promise<StoredRevocation[]>;
}

export interface RevocationsDeps {
  readonly policy: RevocationPolicy;
  readonly audit?: Audit;
  readonly log?: Logger;
  /** The clock (tests pass their own). */
  readonly now?: () => Date;
}

export function createRevocations(deps: RevocationsDeps): Revocations {
  const now = deps.now ?? (() => new Date());
  const record = async (
    q: Queryable,
    entries: NewRevocation[],
    cause: RevocationCause,
    sub?: string,
  ): Promise<number> => {
    const n = await recordRevocations(q, entries);
    const kind = entries[0]?.kind;
    deps.log?.info(
      { event: 'revocation.recorded', kind, count: n, reason: cause.reason },
      'deny entries recorded for the clusters',
    );
    await deps.audit?.record({
      event: 'revocation.recorded',
      outcome: 'success',
      reason: cause.reason,
      sub,
      details: { actor: cause.actor, kind, count: n },
    });
    return n;
  };
  return {
    async revokeSessions(q, sessions, cause) {
      if (sessions.length === 0) return 0;
      const at = now();
      const entries = sessions.map((s): NewRevocation => ({
        kind: 'session',
        sid: s.sid,
        sub: s.sub,
        reason: cause.reason,
        actor: cause.actor,
        keepUntil: keepUntil(deps.policy, at),
      }));
      const subs = new Set(sessions.map((s) => s.sub));
      return record(q, entries, cause, subs.size === 1 ? [...subs][0] : undefined);
    },
    async revokeSessionsBefore(q, sessions, before, until, cause) {
      if (sessions.length === 0) return 0;
      const entries = sessions.map((s): NewRevocation => ({
        kind: 'session',
        sid: s.sid,
        sub: s.sub,
        notBefore: before,
        reason: cause.reason,
        actor: cause.actor,
        keepUntil: until,
      }));
      const subs = new Set(sessions.map((s) => s.sub));
      return record(q, entries, cause, subs.size === 1 ? [...subs][0] : undefined);
    },
    async revokeSubject(q, sub, cause, notBefore) {
      const nb = notBefore ?? now();
      return record(
        q,
        [
          {
            kind: 'subject',
            sub,
            notBefore: nb,
            reason: cause.reason,
            actor: cause.actor,
            keepUntil: keepUntil(deps.policy, nb),
          },
        ],
        cause,
        sub,
      );
    },
    async live(q) {
      return listLiveRevocations(q, now());
    },
  };
}
