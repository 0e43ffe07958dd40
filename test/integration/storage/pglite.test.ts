import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors.js';
import { migrate, openPgliteDb, type Db } from '../../../src/storage/index.js';
import { freshPglite } from './backends.js';
import { runAdapterConformance } from './conformance.js';

runAdapterConformance('pglite', () => freshPglite('pglite'));

describe('pglite specifics', () => {
  let dir: string;
  let dataDir: string;
  let db: Db;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigil-pglite-'));
    dataDir = join(dir, 'data');
    db = await openPgliteDb(dataDir);
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the data directory with mode 0700 and holds sigil.lock in it', async () => {
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'sigil.lock'))).isFile()).toBe(true);
  });

  it('refuses a second open of the same directory while the first is open', async () => {
    const err = await openPgliteDb(dataDir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(err, 'DATA_DIR_LOCKED')).toBe(true);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
  });

  it('does not interleave other queries with an open transaction', async () => {
    let inTx!: () => void;
    const started = new Promise<void>((resolve) => {
      inTx = resolve;
    });
    // The transaction stays open until the test lets it go on (no timer to race with).
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = db
      .transaction(async (q) => {
        await q.query("INSERT INTO secrets (name, value) VALUES ('inside', 'v')");
        inTx();
        await released;
        throw new Error('roll back');
      })
      .catch((err: unknown) => err);
    await started;
    // Issued while the transaction is open: it must run after the rollback, not inside it.
    const outside = db.query("INSERT INTO secrets (name, value) VALUES ('outside', 'v')");
    // A turn of the event loop, so that a query nothing held back would reach PGlite first.
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await tx).toBeInstanceOf(Error);
    await outside;
    const { rows } = await db.query<{ name: string }>(
      "SELECT name FROM secrets WHERE name IN ('inside', 'outside')",
    );
    expect(rows).toEqual([{ name: 'outside' }]);
  });

  it('persists across close and reopen, and releases the lock on close', async () => {
    await db.query("INSERT INTO secrets (name, value) VALUES ('persisted', 'yes')");
    await db.close();
    await expect(stat(join(dataDir, 'sigil.lock'))).rejects.toThrow();
    db = await openPgliteDb(dataDir);
    expect(await migrate(db)).toEqual({ applied: [] });
    const { rows } = await db.query<{ value: string }>(
      "SELECT value FROM secrets WHERE name = 'persisted'",
    );
    expect(rows).toEqual([{ value: 'yes' }]);
  });
});
