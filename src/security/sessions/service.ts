import type { Audit } from '../audit.js';
import {
  endGrantPayloads,
  endLoginSessions,
  findLoginSession,
  insertLoginSession,
  listLoginSessions,
  subsOfUsername,
  type LoginSession,
  type LoginSessionFilter,
  type LoginSessionSelector,
  type NewLoginSession,
  type Queryable,
} from '../../storage/index.js';
import { summariseDevice } from './device.js';
import { LastUseTracker } from './tracker.js';

/** A login as the token endpoint sees it when the grant first yields tokens (the device is derived). */
export type SessionStart = Omit<NewLoginSession, 'device' | 'at'>;

/** Who ends sessions (`details.actor` in the audit trail; `by` of the revocation counter). */
export interface SessionActor {
  readonly kind: 'person' | 'client' | 'operator' | 'cluster' | 'system';
  readonly id: string;
}

/** Which sessions to end. */
export type SessionTarget =
  /** One session; with `sub`, only if it is that person's (a person on /home). */
  | { readonly kind: 'one'; readonly id: string; readonly sub?: string }
  /** Offboarding: every session of a person (by sub or username), or of one of their clients. */
  | {
      readonly kind: 'user';
      readonly sub?: string;
      readonly username?: string;
      readonly clientId?: string | undefined;
    }
  /** "Sign out everywhere else": every session of `sub` but `currentId`. */
  | { readonly kind: 'others'; readonly sub: string; readonly currentId: string };

export interface EndResult {
  /** The people the target named (empty: nobody by that name or sub). */
  readonly subs: readonly string[];
  readonly ended: readonly LoginSession[];
  /** Browser sessions (and /home sessions) ended. */
  readonly browserSessions: number;
  /** Approved device codes not yet picked up that were ended. */
  readonly deviceCodes: number;
}

export interface SessionServiceDeps {
  readonly db: Queryable;
  readonly audit: Audit;
  /** Counts ended sessions (sigil_sessions_revoked_total{by}). */
  readonly onRevoked?: (by: SessionActor['kind'], n: number) => void;
  /**
   * Called once per call of endSessions with what it ended, after the database says so: the
   * one place where further consequences hook in (issue 15's deny entries for API servers).
   */
  readonly afterEnd?: (
    r: EndResult,
    how: { actor: SessionActor; reason: string; offboarded: readonly string[] },
  ) => Promise<void>;
}

/**
 * Sessions: recorded at every login, their last use coalesced, listed, and ended through one
 * function (`endSessions`), whoever ends them: a person on /home, an operator's command, an
 * admin API call.
 */
export class SessionService {
  readonly #deps: SessionServiceDeps;
  readonly tracker: LastUseTracker;

  constructor(deps: SessionServiceDeps) {
    this.#deps = deps;
    this.tracker = new LastUseTracker(deps.db);
  }

  /** Records a login (idempotent). */
  async started(s: SessionStart): Promise<void> {
    await insertLoginSession(this.#deps.db, {
      ...s,
      device: summariseDevice(s.userAgent),
      userAgent: s.userAgent?.slice(0, 512),
    });
  }

  /** A refresh of session `id`: written with the next flush, not now. */
  used(id: string, ip: string | undefined, idleExpiresAt: Date | undefined): void {
    this.tracker.touch({ id, at: new Date(), ip, idleExpiresAt });
  }

  /** Sessions matching `f` (this replica's pending uses written first), newest use first. */
  async list(f: LoginSessionFilter): Promise<LoginSession[]> {
    await this.tracker.flush();
    return listLoginSessions(this.#deps.db, f);
  }

  async get(id: string): Promise<LoginSession | undefined> {
    await this.tracker.flush();
    return findLoginSession(this.#deps.db, id);
  }

  /**
   * Ends sessions: marks them ended (once, whichever replica asks), deletes their grants'
   * tokens and codes, browser sessions and approved device codes as the target says, audits
   * each as `session.revoked` and counts them. Returns what it ended.
   */
  async endSessions(
    target: SessionTarget,
    how: { actor: SessionActor; reason: string },
  ): Promise<EndResult> {
    const { db } = this.#deps;
    const subs = await this.#subsOf(target);
    const selector = selectorOf(target, subs);
    const ended =
      selector === undefined
        ? []
        : await endLoginSessions(db, selector, { reason: how.reason, endedBy: { ...how.actor } });
    const offboard = target.kind === 'user' && target.clientId === undefined ? subs : [];
    const current =
      target.kind === 'others' ? await findLoginSession(db, target.currentId) : undefined;
    const payloads = await endGrantPayloads(db, {
      grantIds: ended.map((s) => s.grantId),
      sids: ended.map((s) => s.id),
      accounts: offboard,
      browserSessionsOf: target.kind === 'others' ? [target.sub] : [],
      keepBrowserSession: current?.browserSession,
      keepGrant: current?.grantId,
    });
    const result: EndResult = { subs, ended, ...payloads };
    for (const s of ended) {
      await this.#deps.audit.record({
        event: 'session.revoked',
        outcome: 'success',
        reason: how.reason,
        sub: s.sub,
        username: s.username,
        clientId: s.clientId,
        details: { actor: how.actor, sessionId: s.id, device: s.device },
      });
    }
    if (ended.length > 0) this.#deps.onRevoked?.(how.actor.kind, ended.length);
    await this.#deps.afterEnd?.(result, { ...how, offboarded: offboard });
    return result;
  }

  async #subsOf(target: SessionTarget): Promise<string[]> {
    if (target.kind === 'others') return [target.sub];
    if (target.kind === 'one') return target.sub === undefined ? [] : [target.sub];
    if (target.sub !== undefined) return [target.sub];
    return target.username === undefined ? [] : subsOfUsername(this.#deps.db, target.username);
  }
}

function selectorOf(
  target: SessionTarget,
  subs: readonly string[],
): LoginSessionSelector | undefined {
  switch (target.kind) {
    case 'one':
      return target.sub === undefined ? { id: target.id } : { id: target.id, sub: target.sub };
    case 'user':
      return subs.length === 0 ? undefined : { subs, clientId: target.clientId };
    case 'others':
      return { subs, exceptId: target.currentId };
  }
}
