import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { AppError, errorMessage } from '../errors.js';
import type { PgDbOptions, PgSslOptions } from './pg.js';

/** `storage.config` of `type: postgres`, as the config schema outputs it. */
export type PostgresStorageConfig = Extract<
  NonNullable<Config['storage']>,
  { type: 'postgres' }
>['config'];

/**
 * Turns `storage.config` (a `url`, or Dex-style host/port/database/user/password/ssl) into
 * the options of createPgDb. With neither `url` nor `host`, `DATABASE_URL` from `env` is used.
 * Reads `ssl.caFile`. Throws CONFIG_INVALID when no server is named or the CA cannot be read.
 */
export function pgOptionsFromConfig(
  cfg: PostgresStorageConfig,
  env: Readonly<Record<string, string | undefined>> = {},
): Omit<PgDbOptions, 'onIdleError'> {
  const url =
    cfg.url ?? (cfg.host === undefined ? env['DATABASE_URL'] : dexStyleUrl(cfg, cfg.host));
  if (url === undefined || url === '') {
    throw new AppError(
      'CONFIG_INVALID',
      'storage.config: set url (or host), or the DATABASE_URL environment variable',
    );
  }
  const ssl = sslOptions(cfg.ssl);
  return {
    url,
    maxConnections: cfg.maxOpenConns,
    connectionTimeoutMs: durationMs(cfg.connectionTimeout, 'connectionTimeout'),
    statementTimeoutMs: durationMs(cfg.statementTimeout, 'statementTimeout'),
    ...(ssl === undefined ? {} : { ssl }),
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

function sslOptions(ssl: PostgresStorageConfig['ssl']): PgSslOptions | undefined {
  if (ssl === undefined) return undefined;
  if (ssl.caFile === undefined) return { mode: ssl.mode };
  try {
    return { mode: ssl.mode, ca: readFileSync(ssl.caFile, 'utf8') };
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `storage.config.ssl.caFile: cannot read ${ssl.caFile}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

function durationMs(text: string, key: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new AppError('CONFIG_INVALID', `storage.config.${key}: not a duration: ${text}`);
  return ms;
}
