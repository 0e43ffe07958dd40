import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { AppError, errorMessage } from '../../errors.js';
import { tlsFor, type LdapHost, type LdapSettings } from './settings.js';

/** Optional observers, so metrics can be wired without the connector knowing prom-client. */
export interface LdapHooks {
  observe?: (op: 'bind' | 'search', host: string, seconds: number, ok: boolean) => void;
  onFailover?: (from: string, to: string) => void;
}

/** An open connection to one host of the list. */
export interface Connection {
  readonly client: Client;
  readonly host: LdapHost;
}

/** How long a host that failed is tried after the healthy ones. */
const DOWN_FOR_MS = 30_000;

const TLS_CODE = /CERT|SSL|TLS|UNABLE_TO_|SELF_SIGNED|HOSTNAME|ALTNAME/;

/** The error comes from the TLS layer (verification, handshake, protocol). */
export function isTlsError(err: unknown): boolean {
  if (err instanceof TlsUpgradeError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && TLS_CODE.test(code)) return true;
  return (
    (err as { library?: unknown }).library === 'SSL routines' ||
    /\bTLS\b|certificate/i.test(err.message)
  );
}

/**
 * The connection failed (refused, reset, timed out, TLS), as opposed to the server answering
 * with an LDAP result code. Transport errors fail over to the next host or mark the directory
 * unavailable; result codes are answers.
 */
export function isTransportError(err: unknown): boolean {
  return !(err instanceof ResultCodeError) && !(err instanceof AppError);
}

/**
 * One line for any error of ldapts: result codes by name and number plus the server's
 * diagnostic (`invalid credentials (49): 80090308: LdapErr: ... data 52e`), others by message.
 */
export function ldapErrorText(err: unknown): string {
  if (err instanceof ResultCodeError) {
    const name = err.name
      .replace(/Error$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    const diagnostic = err.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
    return `${name} (${String(err.code)})${diagnostic === '' ? '' : `: ${diagnostic}`}`;
  }
  return errorMessage(err).split('\n')[0] ?? '';
}

function describe(err: unknown): string {
  const msg = ldapErrorText(err);
  return isTlsError(err) ? `TLS: ${msg}` : msg;
}

/** Every host failed: one line saying what happened on each, TLS failures named as such. */
export function unavailable(failures: readonly { label: string; err: unknown }[]): AppError {
  const parts = failures.map((f) => `${f.label} (${describe(f.err)})`);
  const tls = failures.some((f) => isTlsError(f.err));
  const what = tls ? 'LDAP TLS connection failed' : 'LDAP directory unreachable';
  return new AppError('CONNECTOR_UNAVAILABLE', `${what}: ${parts.join('; ')}`, {
    cause: failures[0]?.err,
  });
}

function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out after ${String(ms)}ms`));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
  });
}

export async function closeQuietly(client: Client): Promise<void> {
  await client.unbind().catch(() => undefined);
}

/**
 * Opens connections with failover: hosts are tried in configured order (hosts that failed in
 * the last 30 s go last), TLS is set up per the settings (ldaps, or StartTLS before anything
 * else is sent: a failed upgrade is a failure, never a plain-text fallback), and `first` runs
 * on the new connection (a bind). A transport error moves on to the next host; an LDAP result
 * code from `first` is the server's answer and is thrown as is, after closing the connection.
 */
export class Transport {
  readonly #settings: LdapSettings;
  readonly #hooks: LdapHooks;
  readonly #downUntil = new Map<string, number>();

  constructor(settings: LdapSettings, hooks: LdapHooks) {
    this.#settings = settings;
    this.#hooks = hooks;
  }

  get hooks(): LdapHooks {
    return this.#hooks;
  }

  #ordered(): LdapHost[] {
    const now = Date.now();
    const up = this.#settings.hosts.filter((h) => (this.#downUntil.get(h.label) ?? 0) <= now);
    const down = this.#settings.hosts.filter((h) => (this.#downUntil.get(h.label) ?? 0) > now);
    return [...up, ...down];
  }

  #client(host: LdapHost): Client {
    const s = this.#settings;
    return new Client({
      url: host.url,
      connectTimeout: s.connectTimeoutMs,
      timeout: s.timeoutMs,
      strictDN: false,
      ...(s.tlsMode === 'ldaps' ? { tlsOptions: tlsFor(s, host) } : {}),
      ...connectOnce(),
    });
  }

  /** Times one operation for the `observe` hook. */
  async timed<T>(op: 'bind' | 'search', host: LdapHost, work: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.#hooks.observe?.(op, host.label, seconds, ok);
    }
  }

  async open<T>(first: (conn: Connection) => Promise<T>): Promise<Connection & { result: T }> {
    const failures: { label: string; err: unknown }[] = [];
    for (const host of this.#ordered()) {
      const client = this.#client(host);
      const conn = { client, host };
      try {
        if (this.#settings.tlsMode === 'starttls') await this.#startTls(conn);
        const result = await first(conn);
        this.#downUntil.delete(host.label);
        const firstFailure = failures[0];
        if (firstFailure !== undefined) this.#hooks.onFailover?.(firstFailure.label, host.label);
        return { ...conn, result };
      } catch (err) {
        await closeQuietly(client);
        if (!isTransportError(err)) throw err;
        this.#downUntil.set(host.label, Date.now() + DOWN_FOR_MS);
        failures.push({ label: host.label, err });
      }
    }
    throw unavailable(failures);
  }

  /** Any failure of the upgrade (refused, handshake, verification) is a TLS failure of the host. */
  async #startTls(conn: Connection): Promise<void> {
    const budget = this.#settings.connectTimeoutMs + this.#settings.timeoutMs;
    try {
      await withDeadline(conn.client.startTLS(tlsFor(this.#settings, conn.host)), budget, () => {
        void closeQuietly(conn.client);
      });
    } catch (err) {
      throw new TlsUpgradeError(err);
    }
  }
}

type ClientOptions = ConstructorParameters<typeof Client>[0];

/**
 * Socket factories that work once per Client. ldapts re-opens a closed connection by itself on
 * the next operation: unbound (a service connection would search anonymously) and, after
 * StartTLS, in clear text. Here a second connection attempt fails instead, as a transport
 * error, and the pool replaces the connection through open() (TLS and bind included).
 */
function connectOnce(): Pick<ClientOptions, 'createConnection' | 'createSecureConnection'> {
  let plainUsed = false;
  let tlsUsed = false;
  const refused = (): Socket => {
    const socket = new Socket();
    setImmediate(() =>
      socket.destroy(new Error('LDAP connection closed (not re-opened implicitly)')),
    );
    return socket;
  };
  const createConnection = ((port: number, host: string) => {
    if (plainUsed) return refused();
    plainUsed = true;
    return netConnect(port, host);
  }) as typeof netConnect;
  // A refused attempt answers with a plain socket that only ever errors (ldapts just listens for 'error').
  const createSecureConnection = ((...args: Parameters<typeof tlsConnect>): Socket => {
    if (tlsUsed) return refused();
    tlsUsed = true;
    return tlsConnect(...args);
  }) as unknown as typeof tlsConnect;
  return { createConnection, createSecureConnection };
}

/** StartTLS did not complete: thrown instead of ever continuing in clear text. */
export class TlsUpgradeError extends Error {
  constructor(cause: unknown) {
    super(`StartTLS failed: ${errorMessage(cause).split('\n')[0] ?? ''}`, { cause });
    this.name = 'TlsUpgradeError';
  }
}
