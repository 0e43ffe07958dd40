/**
 * In-process mutual exclusion by key: what advisory locks mean inside the one process that
 * owns an embedded (PGlite) database. Waiters run in arrival order.
 */
export class KeyedMutex {
  readonly #tails = new Map<number, Promise<void>>();

  isLocked(key: number): boolean {
    return this.#tails.has(key);
  }

  /** Runs `fn` once every earlier holder of `key` has finished. */
  async run<T>(key: number, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      done();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Runs `fn` if nobody holds `key`; otherwise returns undefined at once. */
  async tryRun<T>(key: number, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.isLocked(key)) return undefined;
    return this.run(key, fn);
  }
}
