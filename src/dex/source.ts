import { existsSync } from 'node:fs';
import { AppError, errorMessage } from '../errors.js';
import { createPgDb, type Db } from '../storage/index.js';

/**
 * A Dex database to read from: PostgreSQL (`postgres://…`) or a SQLite file (Dex's `sqlite3`
 * storage), read through Node's built-in `node:sqlite` (no native addon). Read only: nothing
 * is ever written to it. Values come back as the driver gives them (bytea/blob as bytes,
 * PostgreSQL timestamps as Date, SQLite's as the text go-sqlite3 wrote); read.ts makes sense
 * of them.
 */
export interface DexSource {
  readonly kind: 'postgres' | 'sqlite';
  /** Runs one read-only statement (no parameters beyond `$1`-style values). */
  rows(sql: string, params?: readonly string[]): Promise<Record<string, unknown>[]>;
  /** The tables there are, lower-case. */
  tables(): Promise<ReadonlySet<string>>;
  /** The columns of one table, lower-case. */
  columns(table: string): Promise<ReadonlySet<string>>;
  close(): Promise<void>;
}

/** Opens `from`: a postgres:// or postgresql:// URL, else the path of a SQLite file. */
export async function openDexSource(from: string): Promise<DexSource> {
  if (/^postgres(ql)?:\/\//i.test(from)) return openPostgres(from);
  if (from.includes('://'))
    throw new AppError(
      'CLI_USAGE',
      '--from takes a postgres:// URL or the path of a Dex SQLite file',
    );
  return openSqlite(from);
}

async function openPostgres(url: string): Promise<DexSource> {
  const db: Db = createPgDb({
    url,
    maxConnections: 1,
    connectionTimeoutMs: 10_000,
    statementTimeoutMs: 60_000,
  });
  try {
    await db.query('SELECT 1');
  } catch (err) {
    await db.close();
    throw new AppError(
      'DEX_SOURCE_UNAVAILABLE',
      `cannot open the Dex database: ${errorMessage(err).replace(/postgres(ql)?:\/\/\S*/gi, '<url>')}`,
    );
  }
  return {
    kind: 'postgres',
    rows: async (sql, params = []) => (await db.query(sql, params)).rows,
    async tables() {
      const { rows } = await db.query<{ t: string }>(
        `SELECT lower(table_name) AS t FROM information_schema.tables
          WHERE table_schema = current_schema()`,
      );
      return new Set(rows.map((r) => r.t));
    },
    async columns(table) {
      const { rows } = await db.query<{ c: string }>(
        `SELECT lower(column_name) AS c FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1`,
        [table],
      );
      return new Set(rows.map((r) => r.c));
    },
    close: () => db.close(),
  };
}

interface SqliteStatement {
  all(...params: unknown[]): Record<string, unknown>[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}
interface SqliteModule {
  DatabaseSync: new (path: string, opts: { readOnly: boolean }) => SqliteDatabase;
}

/**
 * node:sqlite, without its "experimental" warning on stderr (the import is the only place it
 * is emitted). Node 22 has it unflagged from 22.13; older 22.x need --experimental-sqlite.
 */
async function loadSqlite(): Promise<SqliteModule> {
  const emit = process.emitWarning.bind(process);
  const quiet = (warning: string | Error, ...rest: unknown[]): void => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('SQLite')) return;
    (emit as (...a: unknown[]) => void)(warning, ...rest);
  };
  process.emitWarning = quiet;
  try {
    return await import('node:sqlite');
  } catch {
    throw new AppError(
      'DEX_SOURCE_UNAVAILABLE',
      `this Node (${process.version}) has no node:sqlite: use Node 22.13 or later, or import from PostgreSQL`,
    );
  } finally {
    process.emitWarning = emit;
  }
}

async function openSqlite(path: string): Promise<DexSource> {
  if (!existsSync(path)) throw new AppError('DEX_SOURCE_UNAVAILABLE', `no such file: ${path}`);
  const { DatabaseSync } = await loadSqlite();
  let db: SqliteDatabase;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    db.prepare('SELECT count(*) FROM sqlite_master').all();
  } catch (err) {
    throw new AppError(
      'DEX_SOURCE_UNAVAILABLE',
      `cannot open ${path} as a SQLite database: ${errorMessage(err)}`,
    );
  }
  const all = (sql: string, params: readonly unknown[] = []) => {
    try {
      return db.prepare(sql.replace(/\$\d+/g, '?')).all(...params);
    } catch (err) {
      throw new AppError(
        'DEX_IMPORT_REFUSED',
        `reading the Dex database failed: ${errorMessage(err)}`,
      );
    }
  };
  return {
    kind: 'sqlite',
    rows: (sql, params) => Promise.resolve(all(sql, params)),
    tables: () =>
      Promise.resolve(
        new Set(
          all(`SELECT lower(name) AS t FROM sqlite_master WHERE type = 'table'`).map((r) =>
            String(r['t']),
          ),
        ),
      ),
    columns: (table) =>
      Promise.resolve(
        new Set(
          all(`SELECT lower(name) AS c FROM pragma_table_info($1)`, [table]).map((r) =>
            String(r['c']),
          ),
        ),
      ),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}
