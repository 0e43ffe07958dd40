import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { createAudit } from '../../../src/security/index.js';
import { createPgDb, migrate, type Db, type Queryable } from '../../../src/storage/index.js';
import { pollUntil } from '../../support/poll.js';
import { createTestDatabase } from '../../support/postgres.js';

// Audit rows are batched (one INSERT per batch, at most flushMs late); the JSON log line is
// written at once. Against a real PostgreSQL database.
describe('audit batching', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let inserts = 0;
  const counting = (): Queryable => ({
    query: (sql, params) => {
      if (sql.includes('INSERT INTO audit_events')) inserts++;
      return db.query(sql, params);
    },
  });
  const logged: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => logged.push(c.toString('utf8')));
  const log = createLogger({ level: 'info', format: 'json', destination: sink });
  const count = async (event: string) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM audit_events WHERE event = $1',
        [event],
      )
    ).rows[0]?.n;

  beforeAll(async () => {
    const t = await createTestDatabase(inject('pgUrl'));
    drop = t.drop;
    db = createPgDb({
      url: t.url,
      maxConnections: 2,
      connectionTimeoutMs: 5000,
      statementTimeoutMs: 5000,
    });
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it('logs each event at once and writes the queued rows in one statement at close', async () => {
    const audit = createAudit(counting(), log, { flushMs: 60_000 });
    inserts = 0;
    for (let i = 0; i < 25; i++)
      await audit.record({ event: 'batch.close', outcome: 'success', username: `u${String(i)}` });
    expect(logged.join('').match(/"event":"batch.close"/g)).toHaveLength(25);
    expect(await count('batch.close')).toBe(0);
    await audit.close();
    expect(await count('batch.close')).toBe(25);
    expect(inserts).toBe(1);
  });

  it('keeps each event its own time and writes by itself within flushMs', async () => {
    const audit = createAudit(counting(), log, { flushMs: 20 });
    const before = Date.now();
    await audit.record({ event: 'batch.timer', outcome: 'failure', reason: 'bad_password' });
    await pollUntil(
      () => count('batch.timer'),
      (n) => n === 1,
      { what: 'the row written by the timer', timeoutMs: 5000 },
    );
    const { rows } = await db.query<{ at: Date }>(
      "SELECT at FROM audit_events WHERE event = 'batch.timer'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    await audit.close();
  });

  it('writes a full batch at once, without waiting for the timer', async () => {
    const audit = createAudit(counting(), log, { flushMs: 60_000, batchSize: 10 });
    inserts = 0;
    for (let i = 0; i < 10; i++) await audit.record({ event: 'batch.full', outcome: 'success' });
    await pollUntil(
      () => count('batch.full'),
      (n) => n === 10,
      { what: 'the full batch', timeoutMs: 5000 },
    );
    expect(inserts).toBe(1);
    await audit.close();
  });

  it('bounds the queue: the oldest rows are dropped from the table (not the log), with a warning', async () => {
    const audit = createAudit(counting(), log, { flushMs: 60_000, maxQueued: 5 });
    for (let i = 0; i < 8; i++)
      await audit.record({ event: 'batch.bounded', outcome: 'success', username: `b${String(i)}` });
    await audit.close();
    const { rows } = await db.query<{ username: string }>(
      "SELECT username FROM audit_events WHERE event = 'batch.bounded' ORDER BY id",
    );
    expect(rows.map((r) => r.username)).toEqual(['b3', 'b4', 'b5', 'b6', 'b7']);
    expect(logged.join('').match(/"event":"batch.bounded"/g)).toHaveLength(8);
    expect(logged.join('')).toContain('"dropped":3');
  });
});
