import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createPgDb, openPgliteDb, type Db } from '../../../src/storage/index.js';
import { createTestDatabase } from '../../support/postgres.js';
import type { ConformanceDb } from './conformance.js';

const openPg = (url: string): Db =>
  createPgDb({ url, maxConnections: 4, connectionTimeoutMs: 5000, statementTimeoutMs: 10_000 });

/** A fresh PostgreSQL database `sigil_<name>_…` on the test server; cleanup drops it. */
export async function freshPostgres(name: string): Promise<ConformanceDb> {
  const { url, drop } = await createTestDatabase(inject('pgUrl'), `sigil_${name}`);
  const dbs: Db[] = [openPg(url)];
  const [db] = dbs;
  if (db === undefined) throw new Error('unreachable');
  return {
    db,
    openAnother: () => {
      const another = openPg(url);
      dbs.push(another);
      return Promise.resolve(another);
    },
    async cleanup() {
      for (const d of dbs) await d.close();
      await drop();
    },
  };
}

/** A fresh PGlite database in a temporary directory; cleanup removes it. */
export async function freshPglite(name: string): Promise<ConformanceDb> {
  const dir = await mkdtemp(join(tmpdir(), `sigil-${name}-`));
  const db = await openPgliteDb(join(dir, 'data'));
  return {
    db,
    async cleanup() {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Both back ends, for `describe.each`: every storage case runs on PostgreSQL and PGlite. */
export const STORAGE_BACKENDS: readonly [string, (name: string) => Promise<ConformanceDb>][] = [
  ['postgres', freshPostgres],
  ['pglite', freshPglite],
];
