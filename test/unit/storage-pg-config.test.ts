import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { pgOptionsFromConfig, type PostgresStorageConfig } from '../../src/config/index.js';
import { hashId } from '../../src/storage/index.js';

const base: PostgresStorageConfig = {
  maxOpenConns: 7,
  connectionTimeout: 3000,
  statementTimeout: 60_000,
};

describe('pgOptionsFromConfig', () => {
  it('takes url and converts sizes and durations', () => {
    expect(pgOptionsFromConfig({ ...base, url: 'postgres://u:p@db:5432/sigil' })).toEqual({
      url: 'postgres://u:p@db:5432/sigil',
      maxConnections: 7,
      connectionTimeoutMs: 3000,
      statementTimeoutMs: 60_000,
    });
  });

  it('builds a URL from Dex-style fields, escaping user, password and database', () => {
    const opts = pgOptionsFromConfig({
      ...base,
      host: 'db.internal',
      port: 6543,
      database: 'si gil',
      user: 'dex@corp',
      password: 'p:a/s?s#w@rd',
      ssl: { mode: 'require' },
    });
    expect(opts.url).toBe('postgres://dex%40corp:p%3Aa%2Fs%3Fs%23w%40rd@db.internal:6543/si%20gil');
    const u = new URL(opts.url);
    expect(decodeURIComponent(u.password)).toBe('p:a/s?s#w@rd');
    expect(decodeURIComponent(u.username)).toBe('dex@corp');
    expect(opts.ssl).toEqual({ mode: 'require' });
  });

  it('brackets an IPv6 host', () => {
    expect(pgOptionsFromConfig({ ...base, host: '::1', port: 5432 }).url).toBe(
      'postgres://[::1]:5432',
    );
  });

  it('falls back to DATABASE_URL, and fails when nothing names a server', () => {
    expect(pgOptionsFromConfig(base, { DATABASE_URL: 'postgres://env/db' }).url).toBe(
      'postgres://env/db',
    );
    let err: unknown;
    try {
      pgOptionsFromConfig(base, {});
    } catch (e) {
      err = e;
    }
    expect(isAppError(err, 'CONFIG_INVALID')).toBe(true);
  });
});

describe('hashId', () => {
  it('is sha256 base64url (43 characters) and stable', () => {
    // echo -n abc | sha256sum → ba7816bf...; base64url of those bytes:
    expect(hashId('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(hashId('abc')).toHaveLength(43);
  });
});
