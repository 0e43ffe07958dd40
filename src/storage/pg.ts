import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { AppError } from '../errors.js';
import type { Db, Queryable, SqlValue } from './db.js';
import { toStorageError } from './db-errors.js';
import { withTimeout } from '../lib/index.js';

/** TLS to the server, in libpq's terms. `ca` is PEM text (already read from `caFile`). */
export interface PgSslOptions {
  readonly mode: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  readonly ca?: string;
}

export interface PgDbOptions {
  /** `postgres://user:pass@host:port/db`; never logged (it may hold a password). */
  readonly url: string;
  readonly maxConnections: number;
  readonly connectionTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly ssl?: PgSslOptions;
  /**
   * Called with errors of idle pooled connections (the server restarted, a proxy cut the
   * socket). The pool drops such a connection and opens a new one on the next query; this is
   * for logging only. Without it such errors are ignored: they must never crash the process.
   */
  readonly onIdleError?: (err: unknown) => void;
}

/**
 * A Db over a `pg.Pool`. Survives PostgreSQL restarts: a lost server turns into
 * `AppError('DB_UNAVAILABLE')` for the queries that needed it, and the pool reconnects once
 * the server is back.
 */
export function createPgDb(opts: PgDbOptions): Db {
  const clientConfig = toClientConfig(opts);
  const pool = new pg.Pool({
    ...clientConfig,
    max: opts.maxConnections,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => opts.onIdleError?.(err));
  let closed: Promise<void> | undefined;

  const db: Db = {
    kind: 'postgres',

    query: (sql, params) => runQuery(pool, sql, params),

    async transaction(fn) {
      const client = await connect(() => pool.connect());
      const onError = (err: Error) => opts.onIdleError?.(err);
      client.on('error', onError);
      let broken: Error | undefined;
      try {
        await runQuery(client, 'BEGIN');
        const result = await fn(queryable(client));
        await runQuery(client, 'COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error('rollback failed');
        }
        throw toStorageError(err);
      } finally {
        client.off('error', onError);
        // A client whose ROLLBACK failed is in an unknown state: destroy it instead of reusing it.
        client.release(broken);
      }
    },

    withAdvisoryLock: (key, fn, lockOpts) =>
      withSessionLock(clientConfig, opts, key, fn, lockOpts?.wait !== false),

    async ping(timeoutMs) {
      await withTimeout(
        runQuery(pool, 'SELECT 1'),
        timeoutMs,
        () => new AppError('DB_UNAVAILABLE', `the database did not answer within ${timeoutMs}ms`),
      );
    },

    close() {
      closed ??= pool.end();
      return closed;
    },
  };
  return db;
}

/**
 * Runs `fn` holding advisory lock `key` on a dedicated connection outside the pool: the lock
 * lives as long as this session, and `fn` may use the pool (transactions) without starving
 * it, even with maxConnections 1. Without `wait`, answers undefined when another holds it.
 */
async function withSessionLock<T>(
  clientConfig: pg.ClientConfig,
  opts: PgDbOptions,
  key: number,
  fn: (q: Queryable) => Promise<T>,
  wait: boolean,
): Promise<T | undefined> {
  const client = new pg.Client(clientConfig);
  client.on('error', (err) => opts.onIdleError?.(err));
  await connect(() => client.connect().then(() => client));
  let locked = false;
  try {
    if (!wait) {
      const r = await runQuery<{ ok: boolean }>(client, 'SELECT pg_try_advisory_lock($1) AS ok', [
        key,
      ]);
      if (r.rows[0]?.ok !== true) return undefined;
    } else {
      // Waiting for another replica (e.g. its migrations) is not a slow statement.
      await runQuery(client, "SELECT set_config('statement_timeout', '0', false)");
      await runQuery(client, 'SELECT pg_advisory_lock($1)', [key]);
      await runQuery(client, 'RESET statement_timeout');
    }
    locked = true;
    return await fn(queryable(client));
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    // Ending the session releases the lock in any case, even when the unlock failed.
    await client.end().catch(() => undefined);
  }
}

function toClientConfig(opts: PgDbOptions): pg.ClientConfig {
  const config: pg.ClientConfig = {
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectionTimeoutMs,
    statement_timeout: opts.statementTimeoutMs,
    application_name: 'sigil',
    keepAlive: true,
  };
  const ssl = toTls(opts.ssl);
  if (ssl !== undefined) config.ssl = ssl;
  return config;
}

function toTls(ssl: PgSslOptions | undefined): boolean | ConnectionOptions | undefined {
  if (ssl === undefined) return undefined;
  const ca = ssl.ca === undefined ? {} : { ca: ssl.ca };
  switch (ssl.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // Trust the chain, not the name (libpq's verify-ca).
      return { ...ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...ca, rejectUnauthorized: true };
  }
}

interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult<Record<string, unknown>>>;
}

function queryable(client: PgQueryable): Queryable {
  return { query: (sql, params) => runQuery(client, sql, params) };
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the shape of Queryable.query (db.ts)
async function runQuery<R extends object = Record<string, unknown>>(
  target: PgQueryable,
  sql: string,
  params?: readonly SqlValue[],
): Promise<{ rows: R[]; rowCount: number }> {
  try {
    // Without parameters pg uses the simple protocol, which allows several statements (migrations).
    type Result = pg.QueryResult<Record<string, unknown>>;
    const raw: Result | Result[] =
      params === undefined || params.length === 0
        ? await target.query(sql)
        : await target.query(sql, [...params]);
    // Several statements answer with one result each: report the last, as PGlite's exec does.
    const all: readonly Result[] = Array.isArray(raw) ? (raw as Result[]) : [raw];
    const result = all[all.length - 1];
    if (result === undefined) return { rows: [], rowCount: 0 };
    return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
  } catch (err) {
    throw toStorageError(err);
  }
}

async function connect<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    throw toStorageError(err);
  }
}
