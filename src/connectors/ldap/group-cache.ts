import type { Entry } from 'ldapts';
import { LRUCache } from 'lru-cache';

/**
 * The group graph of one connector, cached: for a group (the value of its recursion
 * attribute, usually its DN), the groups that have it as a member. Only this edge is cached;
 * the user entry and the user's direct memberships are read on every login and refresh, so a
 * removed member or a disabled account is seen at once and a change to nesting after at most
 * the TTL. One cache per connector instance (a connector built from a changed configuration
 * starts empty, and no other connector ever reads it), bounded by entry count (LRU).
 */
export interface GroupCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

/** What a group cache reports, per lookup (metrics wire these). */
export interface GroupCacheHooks {
  onGroupCache?: (event: 'hit' | 'miss', size: number) => void;
}

export interface GroupCacheOptions extends GroupCacheHooks {
  readonly ttlMs: number;
  /** Most groups kept (default 10 000); the least recently used go first. */
  readonly maxEntries?: number;
  /** Monotonic ms clock (tests); default performance.now. */
  readonly now?: () => number;
}

export const DEFAULT_GROUP_CACHE_ENTRIES = 10_000;

export class GroupCache {
  readonly #lru: LRUCache<string, readonly Entry[]>;
  readonly #hooks: GroupCacheHooks;
  #hits = 0;
  #misses = 0;

  constructor(o: GroupCacheOptions) {
    const now = o.now;
    this.#lru = new LRUCache<string, readonly Entry[]>({
      max: o.maxEntries ?? DEFAULT_GROUP_CACHE_ENTRIES,
      ttl: o.ttlMs,
      // A fixed TTL from the time the edge was read: reading it does not extend it.
      updateAgeOnGet: false,
      ...(now === undefined ? {} : { perf: { now } }),
    });
    this.#hooks = o;
  }

  /** Parents of the group whose recursion value is `value` under `groupAttr`, if cached. */
  get(groupAttr: string, value: string): readonly Entry[] | undefined {
    const hit = this.#lru.get(cacheKey(groupAttr, value));
    if (hit === undefined) this.#misses++;
    else this.#hits++;
    this.#hooks.onGroupCache?.(hit === undefined ? 'miss' : 'hit', this.#lru.size);
    return hit;
  }

  set(groupAttr: string, value: string, parents: readonly Entry[]): void {
    this.#lru.set(cacheKey(groupAttr, value), parents);
  }

  stats(): GroupCacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#lru.size };
  }

  clear(): void {
    this.#lru.clear();
  }
}

/** Attribute names compare without case; the caller normalises the value (DNs lower-cased). */
function cacheKey(groupAttr: string, value: string): string {
  return `${groupAttr.toLowerCase()}\u0000${value}`;
}

/** The cache a connector runs with: none when the TTL is 0. */
export function groupCacheFor(o: GroupCacheOptions): GroupCache | undefined {
  return o.ttlMs > 0 ? new GroupCache(o) : undefined;
}
