export type Closer = () => void | Promise<void>;

/**
 * What must be closed, in the order it was opened: `close()` runs every closer in reverse
 * order, each once, and goes on past a failing one; the errors are kept and thrown at the end
 * (the only one as is, several as an AggregateError). A second `close()` waits for the first.
 */
export class Closers {
  readonly #list: Closer[] = [];
  #closing: Promise<void> | undefined;

  add(closer: Closer): void {
    this.#list.push(closer);
  }

  close(): Promise<void> {
    this.#closing ??= this.#run();
    return this.#closing;
  }

  async #run(): Promise<void> {
    const errors: unknown[] = [];
    for (const closer of this.#list.reverse()) {
      try {
        await closer();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several closers failed');
  }
}
