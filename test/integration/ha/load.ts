import { login, refresh, sleep, type Cluster, type Tokens } from './cluster.js';

/**
 * A refresh load for the fault tests: each worker logs in once, then refreshes in a loop,
 * keeping the latest refresh token it was given (a 200 response is a committed token). A
 * failed request keeps the previous token and tries it again, as kubectl would.
 */
export interface LoadEvent {
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
  stop(): Promise<void>;
}

export async function startLoad(c: Cluster, workers: number, pauseMs = 50): Promise<Load> {
  const events: LoadEvent[] = [];
  const tokens: string[] = [];
  let stopping = false;
  const clients = Array.from({ length: workers }, () => c.client());
  const first = await Promise.all(clients.map((cl) => login(c, cl)));
  first.forEach((t, i) => (tokens[i] = t.refresh_token!));
  const loops = clients.map(async (client, i) => {
    while (!stopping) {
      const start = Date.now();
      try {
        const r = await refresh(client, tokens[i]!);
        const backend = r.headers['x-sigil-backend'];
        const base = {
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
        events.push({ start, end: Date.now(), status: 0, error: (err as Error).message });
      }
      await sleep(pauseMs);
    }
  });
  return {
    events,
    tokens,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** Events that were not a 200. */
export const failures = (events: readonly LoadEvent[]) => events.filter((e) => e.status !== 200);
