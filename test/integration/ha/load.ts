import { setTimeout as sleep } from 'node:timers/promises';
import { refreshGrant, type Tokens } from '../../support/oidc-flow.js';
import { pollUntil } from '../../support/poll.js';
import { login, type Cluster } from './cluster.js';

/**
 * A refresh load for the fault tests: each worker logs in once, then refreshes in a loop,
 * keeping the latest refresh token it was given (a 200 response is a committed token). A
 * failed request keeps the previous token and tries it again, as kubectl would.
 */
export interface LoadEvent {
  /** Which worker sent it (0 .. workers - 1). */
  readonly worker: number;
  readonly start: number;
  readonly end: number;
  readonly status: number; // 0: the connection failed
  readonly error?: string;
  readonly backend?: string;
}

export interface Load {
  readonly events: LoadEvent[];
  /** The refresh token each worker holds now. */
  readonly tokens: string[];
  /**
   * Waits until every worker has `n` answers that `match`, instead of letting the load run
   * for a fixed time; fails after `timeoutMs` saying how far each worker got.
   */
  untilEachWorker(
    what: string,
    n: number,
    match: (e: LoadEvent) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  stop(): Promise<void>;
}

export async function startLoad(c: Cluster, workers: number, pauseMs = 50): Promise<Load> {
  const events: LoadEvent[] = [];
  const tokens: string[] = [];
  let stopping = false;
  const clients = Array.from({ length: workers }, () => c.client());
  const first = await Promise.all(clients.map((cl) => login(c, cl)));
  first.forEach((t, i) => (tokens[i] = t.refresh_token));
  const loops = clients.map(async (client, i) => {
    while (!stopping) {
      const start = Date.now();
      try {
        const r = await refreshGrant(client, tokens[i]!);
        const backend = r.headers['x-sigil-backend'];
        const base = {
          worker: i,
          start,
          end: Date.now(),
          status: r.status,
          ...(typeof backend === 'string' ? { backend } : {}),
        };
        if (r.status === 200) {
          tokens[i] = r.json<Tokens>().refresh_token!;
          events.push(base);
        } else {
          events.push({ ...base, error: r.text.slice(0, 200) });
        }
      } catch (err) {
        events.push({
          worker: i,
          start,
          end: Date.now(),
          status: 0,
          error: (err as Error).message,
        });
      }
      await sleep(pauseMs);
    }
  });
  return {
    events,
    tokens,
    async untilEachWorker(what, n, match, timeoutMs = 20_000) {
      const counts = () => {
        const per = clients.map(() => 0);
        for (const e of events) if (match(e)) per[e.worker]!++;
        return per;
      };
      await pollUntil(counts, (per) => per.every((k) => k >= n), {
        what: `${n} answers per worker: ${what}`,
        timeoutMs,
      });
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** Events that were not a 200. */
export const failures = (events: readonly LoadEvent[]) => events.filter((e) => e.status !== 200);
