import { AppError } from '../../errors.js';
import {
  closeQuietly,
  isTransportError,
  unavailable,
  type Connection,
  type Transport,
} from './transport.js';

/**
 * A small pool of service-account connections, bound once and reused for searches. They are
 * only ever bound as the service account: user binds get their own short-lived connection.
 *
 * A connection that died while idle (server restart, idle timeout) is noticed when it is taken
 * (ldapts marks it disconnected) and replaced. A transport error on a reused connection drops
 * every idle connection (they most likely died together) and retries the work once on a fresh
 * one; a fresh connection failing means the directory is unavailable.
 */
export class ServicePool {
  readonly #transport: Transport;
  readonly #bind: (conn: Connection) => Promise<void>;
  readonly #max: number;
  readonly #idle: Connection[] = [];
  readonly #waiters: (() => void)[] = [];
  #open = 0;
  #closed = false;

  constructor(transport: Transport, bind: (conn: Connection) => Promise<void>, max: number) {
    this.#transport = transport;
    this.#bind = bind;
    this.#max = max;
  }

  /** Runs `work` on a bound service connection. */
  async use<T>(work: (conn: Connection) => Promise<T>): Promise<T> {
    const first = await this.#acquire();
    try {
      return await this.#run(first.conn, work);
    } catch (err) {
      if (!first.reused || !isTransportError(err)) throw err;
      this.#drainIdle();
      const fresh = await this.#acquire();
      return this.#run(fresh.conn, work);
    }
  }

  async #run<T>(conn: Connection, work: (conn: Connection) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work(conn);
    } catch (err) {
      if (isTransportError(err)) {
        this.#discard(conn);
        throw err;
      }
      this.#release(conn);
      throw err;
    }
    this.#release(conn);
    return result;
  }

  async #acquire(): Promise<{ conn: Connection; reused: boolean }> {
    for (;;) {
      if (this.#closed) throw new AppError('CONNECTOR_UNAVAILABLE', 'LDAP connector is closed');
      const idle = this.#idle.pop();
      if (idle !== undefined) {
        if (idle.client.isConnected && idle.client.isBound) return { conn: idle, reused: true };
        this.#discard(idle);
        continue;
      }
      if (this.#open < this.#max) {
        this.#open++;
        try {
          const opened = await this.#transport.open(this.#bind);
          return { conn: { client: opened.client, host: opened.host }, reused: false };
        } catch (err) {
          this.#open--;
          this.#wakeOne();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #release(conn: Connection): void {
    if (this.#closed) {
      this.#discard(conn);
      return;
    }
    this.#idle.push(conn);
    this.#wakeOne();
  }

  #discard(conn: Connection): void {
    this.#open--;
    void closeQuietly(conn.client);
    this.#wakeOne();
  }

  #drainIdle(): void {
    for (let c = this.#idle.pop(); c !== undefined; c = this.#idle.pop()) this.#discard(c);
  }

  #wakeOne(): void {
    this.#waiters.shift()?.();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    this.#open -= idle.length;
    await Promise.all(idle.map((c) => closeQuietly(c.client)));
    for (let w = this.#waiters.shift(); w !== undefined; w = this.#waiters.shift()) w();
  }
}

/** Turns a transport error escaping the pool into the connector's outage error. */
export function asUnavailable(err: unknown, host: string): unknown {
  if (isTransportError(err)) return unavailable([{ label: host, err }]);
  return err;
}
