import { inject } from 'vitest';
import { createPgDb, type Db } from '../../../src/storage/index.js';
import { createTestDatabase } from '../../support/postgres.js';
import { runAdapterConformance } from './conformance.js';

const open = (url: string): Db =>
  createPgDb({ url, maxConnections: 4, connectionTimeoutMs: 5000, statementTimeoutMs: 10_000 });

runAdapterConformance('postgres', async () => {
  const { url, drop } = await createTestDatabase(inject('pgUrl'), 'sigil_storage');
  const dbs: Db[] = [open(url)];
  const [db] = dbs;
  if (db === undefined) throw new Error('unreachable');
  return {
    db,
    openAnother: () => {
      const another = open(url);
      dbs.push(another);
      return Promise.resolve(another);
    },
    async cleanup() {
      for (const d of dbs) await d.close();
      await drop();
    },
  };
});
