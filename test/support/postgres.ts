import { randomBytes } from 'node:crypto';
import { spawnSync, spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import pg from 'pg';

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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no port'));
      });
    });
  });
}

export interface OwnPostgres {
  url: string;
  dataDir: string;
  /** Stops the server for good and deletes its data directory. */
  stop(): void;
  /** Stops the server (`pg_ctl stop -m fast`), keeping its data: for outage tests. */
  halt(): void;
  /** Starts a halted server again on the same port. */
  restart(): void;
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
 * Starts a throwaway PostgreSQL cluster in a temp dir on an ephemeral port (initdb refuses
 * root, so as root it runs as `postgres`). Returns undefined when the binaries are missing.
 */
export async function startOwnPostgres(): Promise<OwnPostgres | undefined> {
  const bin = pgBinDir();
  if (bin === undefined) return undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'sigil-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = asRoot
      ? (['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const)
      : ([cmd, args] as const);
    const r = spawnSync(full[0], [...full[1]], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (asRoot) spawnSync('chown', ['postgres:postgres', dataDir]);
  run(join(bin, 'initdb'), ['--auth=trust', '-U', 'postgres', '-D', dataDir]);
  const port = await freePort();
  const start = () =>
    run(join(bin, 'pg_ctl'), [
      '-D',
      dataDir,
      '-o',
      `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      '-l',
      join(dataDir, 'log'),
      'start',
    ]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    halt() {
      run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
    restart: start,
    stop() {
      run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh database on the server of `adminUrl`; returns its URL and a drop function. */
export async function createTestDatabase(
  adminUrl: string,
  prefix = 'sigil_test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export { spawn };
