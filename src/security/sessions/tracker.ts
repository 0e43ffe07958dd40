import { touchLoginSessions, type LoginSessionTouch, type Queryable } from '../../storage/index.js';

/**
 * Last use of sessions without a write per refresh: uses are coalesced in memory (the latest
 * per session) and written in one statement by `flush`, which the server runs periodically
 * and at shutdown. A crash loses at most one interval of "last used" times, never a session.
 */
export class LastUseTracker {
  readonly #db: Queryable;
  #pending = new Map<string, LoginSessionTouch>();

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** A use of session `id` now (a refresh). */
  touch(t: LoginSessionTouch): void {
    const prev = this.#pending.get(t.id);
    if (prev === undefined || prev.at <= t.at) this.#pending.set(t.id, t);
  }

  /** Uses not yet written. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Writes the coalesced uses; on failure they are kept for the next flush. */
  async flush(): Promise<number> {
    if (this.#pending.size === 0) return 0;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await touchLoginSessions(this.#db, [...batch.values()]);
      return batch.size;
    } catch (err) {
      for (const [id, t] of batch) if (!this.#pending.has(id)) this.#pending.set(id, t);
      throw err;
    }
  }
}
