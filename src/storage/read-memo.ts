import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one request already read from the database, for the rest of that request only: the
 * refresh token's lookup also brings its grant and its person's identity (one statement
 * instead of three), and a model read twice in one request (an interaction loaded, then
 * finished) is read once. Entries live in the request's async context (`run`), never
 * beyond it, so no other request, and no other replica's write, ever meets them; a write
 * through this process drops the entry it changes. Outside `run` the memo holds nothing.
 */
export class RequestMemo {
  readonly #als = new AsyncLocalStorage<Map<string, unknown>>();

  run<T>(fn: () => T): T {
    return this.#als.run(new Map(), fn);
  }

  /** `{value}` when this request read `key` (value null: read and absent), else undefined. */
  get(key: string): { readonly value: unknown } | undefined {
    const map = this.#als.getStore();
    if (map === undefined || !map.has(key)) return undefined;
    const value = map.get(key);
    // Callers may change what they get (oidc-provider's models do): hand out copies.
    return { value: value === null ? null : structuredClone(value) };
  }

  set(key: string, value: unknown): void {
    this.#als.getStore()?.set(key, value === undefined ? null : structuredClone(value));
  }

  delete(key: string): void {
    this.#als.getStore()?.delete(key);
  }

  clear(): void {
    this.#als.getStore()?.clear();
  }
}

export const memoKeys = {
  payload: (model: string, storedId: string) => `payload\u0000${model}\u0000${storedId}`,
  identity: (sub: string) => `identity\u0000${sub}`,
} as const;
