/**
 * Waiting for a condition instead of for the wall clock: poll until it holds, and fail at a
 * deadline with a message that says what was awaited and what was last seen. A test that
 * polls is as fast as the machine allows and does not flake when the machine is busy. Used
 * by the tests and the bench (no vitest import here).
 */
export interface PollOptions {
  /** What is awaited, for the error at the deadline ("slapd answers on ldap://…"). */
  what: string;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Pause between two probes; default 50 ms. */
  intervalMs?: number;
  /** A reason to give up at once (the process being awaited exited); undefined: keep going. */
  abort?: () => string | undefined;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // The end of a long value (a process's output) says most about where it stopped.
  return text.length > 500 ? `…${text.slice(-500)}` : text;
}

/**
 * Calls `probe` until `done` holds for its value and returns that value. A probe that throws
 * fails the poll at once (use `waitUntil` for "not up yet" errors).
 */
export async function pollUntil<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  o: PollOptions,
): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  // performance.now(), not Date: a test may freeze the Date clock (test/support/clock.ts).
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    const why = o.abort?.();
    if (why !== undefined) throw new Error(`gave up waiting for ${o.what}: ${why}`);
    if (performance.now() >= deadline)
      throw new Error(
        `${o.what}: not reached within ${timeoutMs} ms (last seen: ${describe(value)})`,
      );
    await pause(o.intervalMs ?? 50);
  }
}

/**
 * Waits until `probe` answers true; a probe that throws counts as "not yet" (a server still
 * starting refuses connections), and its last error is in the message at the deadline.
 */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  o: PollOptions,
): Promise<void> {
  await pollUntil(
    async () => {
      try {
        return await probe();
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    },
    (v) => v === true,
    o,
  );
}
