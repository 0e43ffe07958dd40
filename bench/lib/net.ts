/** A TCP port free on 127.0.0.1 right now. */
export { freePort } from '../../test/support/postgres.js';

/** Resolves once `probe` succeeds; rejects after `timeoutMs`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
  abort: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = abort();
    if (why !== undefined) throw new Error(`${what}: ${why}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} did not come up within ${String(timeoutMs)} ms`);
}
