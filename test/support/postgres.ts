import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './net.js';

/** True when a PostgreSQL server answers at `url`. */
export async function pgReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface OwnPostgres {
  url: string;
  dataDir: string;
  /** URL of another database on the same server (create it first: `createDatabase`). */
  databaseUrl(name: string): string;
  /** The postmaster's pid (its children are the backends); 0 while the server is halted. */
  pid(): number;
  /** Stops the server for good and deletes its data directory. */
  stop(): void;
  /** Stops the server (`pg_ctl stop -m fast`), keeping its data: for outage tests. */
  halt(): void;
  /** Starts a halted server again on the same port; returns once it accepts connections. */
  restart(): void;
}

export interface OwnPostgresOptions {
  /** More server settings (`name=value`), e.g. `max_connections=200` for the bench. */
  settings?: readonly string[];
}

function pgBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions)
    if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  return undefined;
}

/**
 * Starts a throwaway PostgreSQL cluster in a temp dir, on 127.0.0.1 and an ephemeral port,
 * `fsync=off` (tests and the bench measure sigil, not the disk). initdb refuses root, so as
 * root it runs as `postgres`. Returns undefined when the binaries are missing.
 */
export async function startOwnPostgres(
  o: OwnPostgresOptions = {},
): Promise<OwnPostgres | undefined> {
  const bin = pgBinDir();
  if (bin === undefined) return undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'sigil-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (asRoot) spawnSync('chown', ['postgres:postgres', dataDir]);
  try {
    run(join(bin, 'initdb'), ['--auth=trust', '-U', 'postgres', '-D', dataDir]);
    const port = await freePort();
    const serverOptions = [
      `-p ${port}`,
      `-k ${dataDir}`,
      ...['listen_addresses=127.0.0.1', 'fsync=off', ...(o.settings ?? [])].map((x) => `-c ${x}`),
    ].join(' ');
    const start = () =>
      run(join(bin, 'pg_ctl'), [
        '-D',
        dataDir,
        '-o',
        serverOptions,
        '-w',
        '-l',
        join(dataDir, 'log'),
        'start',
      ]);
    start();
    let halted = false;
    const databaseUrl = (name: string) => `postgres://postgres@127.0.0.1:${port}/${name}`;
    return {
      url: databaseUrl('postgres'),
      dataDir,
      databaseUrl,
      pid: () => {
        try {
          return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        } catch {
          return 0;
        }
      },
      halt() {
        run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
        halted = true;
      },
      restart() {
        start();
        halted = false;
      },
      stop() {
        try {
          if (!halted) run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs one statement on the server of `adminUrl` on a connection of its own; its rows. */
export async function adminQuery(
  adminUrl: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return (await admin.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await admin.end();
  }
}

/** CREATE DATABASE `name` on the server of `adminUrl`. */
export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
}

/** Creates a fresh database on the server of `adminUrl`; returns its URL and a drop function. */
export async function createTestDatabase(
  adminUrl: string,
  prefix = 'sigil_test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await createDatabase(adminUrl, name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
