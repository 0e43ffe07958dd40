import { resolve } from 'node:path';
import type { Config } from './schema.js';
import { parseDuration } from './duration.js';

/** The storage choice after defaults and DATABASE_URL are applied: what storage/ opens. */
export type ResolvedStorage =
  | {
      type: 'postgres';
      url: string;
      maxConnections: number;
      connectionTimeoutMs: number;
      statementTimeoutMs: number;
      ssl?: { mode: 'disable' | 'require' | 'verify-ca' | 'verify-full'; caFile?: string };
    }
  | { type: 'pglite'; dataDir: string };

export const DEFAULT_DATA_DIR = './.sigil';

/** Milliseconds of a duration the schema already validated. */
export function ms(duration: string): number {
  const v = parseDuration(duration);
  if (v === undefined) throw new Error(`unvalidated duration ${duration}`);
  return v;
}

export function resolveStorage(config: Config, env: NodeJS.ProcessEnv): ResolvedStorage {
  const s = config.storage;
  if (s === undefined) {
    const url = env['DATABASE_URL'];
    if (url !== undefined && url !== '') {
      return {
        type: 'postgres',
        url,
        maxConnections: 10,
        connectionTimeoutMs: 5000,
        statementTimeoutMs: 10_000,
      };
    }
    return { type: 'pglite', dataDir: resolve(DEFAULT_DATA_DIR) };
  }
  if (s.type === 'pglite') return { type: 'pglite', dataDir: resolve(s.config.dataDir) };
  const c = s.config;
  const url = c.url ?? env['DATABASE_URL'] ?? dexStyleUrl(c);
  return {
    type: 'postgres',
    url,
    maxConnections: c.maxOpenConns,
    connectionTimeoutMs: ms(c.connectionTimeout),
    statementTimeoutMs: ms(c.statementTimeout),
    ...(c.ssl === undefined
      ? {}
      : {
          ssl: {
            mode: c.ssl.mode,
            ...(c.ssl.caFile === undefined ? {} : { caFile: c.ssl.caFile }),
          },
        }),
  };
}

function dexStyleUrl(c: {
  host?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}): string {
  const u = new URL('postgres://localhost');
  u.hostname = c.host ?? 'localhost';
  u.port = String(c.port ?? 5432);
  u.pathname = `/${encodeURIComponent(c.database ?? 'sigil')}`;
  if (c.user !== undefined) u.username = encodeURIComponent(c.user);
  if (c.password !== undefined) u.password = encodeURIComponent(c.password);
  return u.toString();
}
