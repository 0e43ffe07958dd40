/**
 * A job that runs every `intervalMs` (counted from the end of the previous run): never two
 * runs at once, and the timer never keeps the process alive. `run` reports its own failures;
 * a rejection that still reaches here is dropped so that the next run happens.
 */
export interface Periodic {
  /** One run now, or the run already in progress. */
  tick(): Promise<void>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function startPeriodic(run: () => Promise<void>, intervalMs: number): Periodic {
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const tick = (): Promise<void> => {
    running ??= run()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().then(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
