import type { Queryable, RevocationActor } from '../../storage/index.js';
import type { Revocations } from './service.js';

/** What SessionService.endSessions ended (security/sessions), as far as deny entries need it. */
export interface EndedSessions {
  readonly ended: readonly { readonly id: string; readonly sub: string }[];
}

/** How sessions were ended: who, why, and the people offboarded as a whole (if any). */
export interface SessionEnding {
  readonly actor: RevocationActor;
  readonly reason: string;
  readonly offboarded: readonly string[];
}

/**
 * The deny entries that follow every ending of sessions (the one hook of endSessions, used by
 * the server and by `sigil sessions revoke`): each ended session's `sid`; and for a person
 * offboarded as a whole, every token issued to them before now, including logins that
 * `login_sessions` never saw (grants from before it existed).
 */
export function denyEndedSessions(
  revocations: Pick<Revocations, 'revokeSessions' | 'revokeSubject'>,
  db: Queryable,
): (r: EndedSessions, how: SessionEnding) => Promise<void> {
  return async (r, how) => {
    const cause = { reason: how.reason, actor: how.actor };
    await revocations.revokeSessions(
      db,
      r.ended.map((s) => ({ sid: s.id, sub: s.sub })),
      cause,
    );
    for (const sub of how.offboarded) await revocations.revokeSubject(db, sub, cause);
  };
}
