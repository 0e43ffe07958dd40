import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, errorMessage, isAppError } from '../errors.js';
import { LOCKS, type Db } from './db.js';

/**
 * Schema migrations: plain `migrations/NNNN_name.sql` files, append-only, applied in order,
 * each in its own transaction and recorded in `schema_migrations`. Runs under an advisory
 * lock so replicas that start together apply each migration once; the ones that waited find
 * nothing left to do.
 */
export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly file: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_-]+)\.sql$/;

/**
 * The package's migrations/ directory: found by walking up from this module (src/storage/ in
 * tests, dist/storage/ when built) to the directory holding package.json and migrations/.
 */
export function migrationsDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations')))
      return join(dir, 'migrations');
    if (dirname(dir) === dir) {
      throw new AppError(
        'DB_MIGRATION_FAILED',
        `no migrations/ directory next to a package.json above ${from}`,
      );
    }
  }
}

export async function listMigrations(dir: string): Promise<Migration[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new AppError('DB_MIGRATION_FAILED', `cannot read ${dir}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const out: Migration[] = [];
  for (const file of names.filter((n) => n.endsWith('.sql')).sort()) {
    const m = FILE_NAME.exec(file);
    if (m?.[1] === undefined || m[2] === undefined) {
      throw new AppError(
        'DB_MIGRATION_FAILED',
        `${join(dir, file)}: migration files are named NNNN_name.sql`,
      );
    }
    if (out.some((x) => x.version === m[1])) {
      throw new AppError('DB_MIGRATION_FAILED', `${dir}: two migrations have version ${m[1]}`);
    }
    out.push({ version: m[1], name: m[2], file: join(dir, file) });
  }
  return out;
}

export async function migrate(
  db: Db,
  dir: string = migrationsDir(),
): Promise<{ applied: string[] }> {
  const migrations = await listMigrations(dir);
  const applied = await db.withAdvisoryLock(LOCKS.migrate, async (conn) => {
    await conn.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version    text PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await conn.query<{ version: string }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    const done = new Set(rows.map((r) => r.version));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new AppError(
        'DB_MIGRATION_FAILED',
        `the database has migration(s) ${unknown.join(', ')} that this sigil does not know: ` +
          'a newer sigil has migrated it; run that version (or newer)',
      );
    }
    const now: string[] = [];
    for (const m of migrations.filter((x) => !done.has(x.version))) {
      await applyOne(db, m);
      now.push(`${m.version}_${m.name}`);
    }
    return now;
  });
  return { applied: applied ?? [] };
}

async function applyOne(db: Db, m: Migration): Promise<void> {
  const sql = await readFile(m.file, 'utf8');
  try {
    await db.transaction(async (tx) => {
      await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    });
  } catch (err) {
    if (isAppError(err, 'DB_UNAVAILABLE')) throw err;
    throw new AppError(
      'DB_MIGRATION_FAILED',
      `migration ${m.version}_${m.name} failed: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
