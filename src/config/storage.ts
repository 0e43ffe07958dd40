import { resolve } from 'node:path';
import { AppError } from '../errors.js';
import type { Config } from './schema.js';
import { DEFAULT_DATA_DIR, postgresConfig, type PostgresStorageConfig } from './schema/index.js';

/**
 * The storage choice after defaults and the environment are applied: what storage/ opens.
 * Resolved here, once: the `storage` key, DATABASE_URL, the Dex-style postgres keys and the
 * PGlite data directory.
 */
export type ResolvedStorage =
  ({ type: 'postgres' } & PostgresOptions) | { type: 'pglite'; dataDir: string };

export interface PostgresOptions {
  url: string;
  maxConnections: number;
  connectionTimeoutMs: number;
  statementTimeoutMs: number;
  ssl?: { mode: 'disable' | 'require' | 'verify-ca' | 'verify-full'; caFile?: string };
}

export { DEFAULT_DATA_DIR, type PostgresStorageConfig };

/**
 * `storage` unset: PostgreSQL at DATABASE_URL when it is set, else PGlite in `./.sigil`.
 * `env` is where DATABASE_URL is read.
 */
export function resolveStorage(
  config: Pick<Config, 'storage'>,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedStorage {
  const s = config.storage;
  if (s === undefined) {
    const url = env['DATABASE_URL'];
    if (url !== undefined && url !== '')
      return { type: 'postgres', ...pgOptionsFromConfig({ ...postgresConfig.parse({}), url }) };
    return { type: 'pglite', dataDir: resolve(DEFAULT_DATA_DIR) };
  }
  if (s.type === 'pglite') return { type: 'pglite', dataDir: resolve(s.config.dataDir) };
  return { type: 'postgres', ...pgOptionsFromConfig(s.config, env) };
}

/**
 * `storage.config` of `type: postgres` (a `url`, or Dex-style host/port/database/user/password/
 * ssl) as connection options. With neither `url` nor `host`, `DATABASE_URL` from `env` is
 * used. Throws CONFIG_INVALID when nothing names a server.
 */
export function pgOptionsFromConfig(
  cfg: PostgresStorageConfig,
  env: Readonly<Record<string, string | undefined>> = {},
): PostgresOptions {
  const url =
    cfg.url ?? (cfg.host === undefined ? env['DATABASE_URL'] : dexStyleUrl(cfg, cfg.host));
  if (url === undefined || url === '') {
    throw new AppError(
      'CONFIG_INVALID',
      'storage.config: set url (or host), or the DATABASE_URL environment variable',
    );
  }
  const ssl = cfg.ssl;
  return {
    url,
    maxConnections: cfg.maxOpenConns,
    connectionTimeoutMs: cfg.connectionTimeout,
    statementTimeoutMs: cfg.statementTimeout,
    ...(ssl === undefined
      ? {}
      : { ssl: { mode: ssl.mode, ...(ssl.caFile === undefined ? {} : { caFile: ssl.caFile }) } }),
  };
}

function dexStyleUrl(cfg: PostgresStorageConfig, host: string): string {
  const auth =
    cfg.user === undefined
      ? ''
      : `${encodeURIComponent(cfg.user)}${cfg.password === undefined ? '' : `:${encodeURIComponent(cfg.password)}`}@`;
  // An IPv6 literal needs brackets in a URL.
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const port = cfg.port === undefined ? '' : `:${cfg.port}`;
  const database = cfg.database === undefined ? '' : `/${encodeURIComponent(cfg.database)}`;
  return `postgres://${auth}${hostPart}${port}${database}`;
}
