import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './net.js';

/**
 * The bench's own PostgreSQL cluster (the approach of test/support/postgres.ts): initdb in a
 * temp dir, listening on 127.0.0.1 on a free port, `fsync=off` like the tests (the bench
 * measures sigil, not the disk). As root, initdb and pg_ctl run as `postgres`.
 */
export interface BenchPostgres {
  url: string;
  /** URL of another database on the same server (created on first use). */
  databaseUrl(name: string): string;
  /** The postmaster's pid (its children are the backends); 0 while the server is halted. */
  pid(): number;
  /** Stops the server (`pg_ctl stop -m fast`: clients are disconnected), keeping its data. */
  halt(): void;
  /** Starts a halted server again on the same port; returns once it accepts connections. */
  restart(): void;
  stop(): void;
}

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions)
      if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
}

export async function startPostgres(): Promise<BenchPostgres> {
  const bin = pgBinDir();
  const dataDir = mkdtempSync(join(tmpdir(), 'sigil-bench-pg-'));
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
    const opts = [
      `-p ${String(port)}`,
      `-k ${dataDir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c max_connections=200',
      '-c shared_buffers=128MB',
      // Statement counts per operation (SQL statements per refresh, per login) for the report.
      '-c shared_preload_libraries=pg_stat_statements',
    ].join(' ');
    const start = () => {
      run(join(bin, 'pg_ctl'), [
        '-D',
        dataDir,
        '-o',
        opts,
        '-w',
        '-l',
        join(dataDir, 'log'),
        'start',
      ]);
    };
    start();
    let halted = false;
    const url = `postgres://postgres@127.0.0.1:${String(port)}/postgres`;
    return {
      url,
      databaseUrl: (name) => `postgres://postgres@127.0.0.1:${String(port)}/${name}`,
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

/** CREATE DATABASE `name` on the server of `adminUrl`. */
export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
}

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

/**
 * Statements executed so far in database `db` and the time PostgreSQL spent executing them,
 * in total (`sql statements`, `sql ms`) and per statement (`sql: <text>`, `sql ms: <text>`),
 * from pg_stat_statements.
 */
export async function statementCounts(
  adminUrl: string,
  db: string,
): Promise<Record<string, number>> {
  await adminQuery(adminUrl, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const rows = await adminQuery(
    adminUrl,
    `SELECT s.calls::bigint AS calls, s.total_exec_time AS ms,
            regexp_replace(s.query, '\\s+', ' ', 'g') AS query
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = '${db}'`,
  );
  const out: Record<string, number> = { 'sql statements': 0, 'sql ms': 0 };
  const add = (k: string, v: number) => (out[k] = (out[k] ?? 0) + v);
  for (const r of rows) {
    const calls = Number(r['calls']);
    const ms = Number(r['ms']);
    const query = String(r['query']).slice(0, 120);
    add('sql statements', calls);
    add('sql ms', ms);
    add(`sql: ${query}`, calls);
    add(`sql ms: ${query}`, ms);
  }
  return out;
}
