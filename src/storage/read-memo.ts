import { AsyncLocalStorage } from 'node:async_hooks';
import type { SqlValue } from './db.js';

/**
 * A write a request sends later (write-behind, `RequestMemo.deferWrites`): one statement with
 * its own `$1…$n` placeholders, and the row it changes (`key`), so that a second write of the
 * same row, or a read of it, first sends what is pending.
 */
export interface PendingWrite {
  readonly key: string;
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

interface RequestState {
  readonly reads: Map<string, unknown>;
  /** Set while the request's writes are held back (deferWrites); undefined: writes go at once. */
  writes: PendingWrite[] | undefined;
  /** What must happen only once the held-back writes are stored (holdUntilStored). */
  after: (() => void)[];
}

/**
 * What one request already read from the database, for the rest of that request only: the
 * refresh token's lookup also brings its grant and its person's identity (one statement
 * instead of three), and a model read twice in one request (an interaction loaded, then
 * finished) is read once. Entries live in the request's async context (`run`), never
 * beyond it, so no other request, and no other replica's write, ever meets them; a write
 * through this process drops the entry it changes. Outside `run` the memo holds nothing.
 *
 * It also holds the request's writes back when asked (`deferWrites`, oidc-provider's
 * requests: oidc/write-behind.ts): the adapter's writes of one answer (a code exchange's
 * consume and two tokens, a resume's four rows) are then sent as one statement just before
 * the answer leaves, or earlier when the request reads what it wrote.
 */
export class RequestMemo {
  readonly #als = new AsyncLocalStorage<RequestState>();

  run<T>(fn: () => T): T {
    return this.#als.run({ reads: new Map(), writes: undefined, after: [] }, fn);
  }

  /** `{value}` when this request read `key` (value null: read and absent), else undefined. */
  get(key: string): { readonly value: unknown } | undefined {
    const map = this.#als.getStore()?.reads;
    if (map === undefined || !map.has(key)) return undefined;
    const value = map.get(key);
    // Callers may change what they get (oidc-provider's models do): hand out copies.
    return { value: value === null ? null : structuredClone(value) };
  }

  set(key: string, value: unknown): void {
    this.#als.getStore()?.reads.set(key, value === undefined ? null : structuredClone(value));
  }

  delete(key: string): void {
    this.#als.getStore()?.reads.delete(key);
  }

  /** Like `get`, and forgets `key`: an answer good for the one read that follows a write. */
  take(key: string): { readonly value: unknown } | undefined {
    const known = this.get(key);
    this.delete(key);
    return known;
  }

  /** Forgets every read (pending writes stay). */
  clear(): void {
    this.#als.getStore()?.reads.clear();
  }

  /**
   * From now on this request's deferrable writes are held back until `takeWrites`. False
   * outside `run` (nothing is held back there).
   */
  deferWrites(): boolean {
    const state = this.#als.getStore();
    if (state === undefined) return false;
    state.writes ??= [];
    return true;
  }

  /** Holds `w` back when this request defers its writes (true); false: send it now. */
  defer(w: PendingWrite): boolean {
    const writes = this.#als.getStore()?.writes;
    if (writes === undefined) return false;
    writes.push(w);
    return true;
  }

  /** Whether a write is held back (of row `key`, when given). */
  pending(key?: string): boolean {
    const writes = this.#als.getStore()?.writes;
    if (writes === undefined || writes.length === 0) return false;
    return key === undefined || writes.some((w) => w.key === key);
  }

  /** The writes held back, in order; the request keeps deferring (or not) as before. */
  takeWrites(): PendingWrite[] {
    const state = this.#als.getStore();
    if (state?.writes === undefined) return [];
    const taken = state.writes;
    state.writes = [];
    return taken;
  }

  /**
   * Runs `fn` only after this request's held-back writes are stored (the caller takes it with
   * `takeHeld` then): true while the request defers its writes, else false (run it now).
   */
  holdUntilStored(fn: () => void): boolean {
    const state = this.#als.getStore();
    if (state?.writes === undefined) return false;
    state.after.push(fn);
    return true;
  }

  /** What was held until the writes are stored, in order; the request holds nothing after. */
  takeHeld(): (() => void)[] {
    const state = this.#als.getStore();
    if (state === undefined) return [];
    const held = state.after;
    state.after = [];
    return held;
  }

  /** Stops holding writes back; returns what was still pending. */
  endDeferral(): PendingWrite[] {
    const taken = this.takeWrites();
    const state = this.#als.getStore();
    if (state !== undefined) state.writes = undefined;
    return taken;
  }
}

export const memoKeys = {
  payload: (model: string, storedId: string) => `payload\u0000${model}\u0000${storedId}`,
  identity: (sub: string) => `identity\u0000${sub}`,
  /** The login's identity write found no confirmed second factor of the person (taken once). */
  noFactors: (sub: string, connectorId: string) => `nofactors\u0000${sub}\u0000${connectorId}`,
} as const;
