import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { report, workerParams } from '../lib/children.js';

/**
 * The database limit: an INSERT of a jsonb row then a SELECT of it by primary key (what the
 * adapter does for a token: upsert, find), through a pg Pool of sigil's default size.
 */
interface PgParams {
  url: string;
  poolSize: number;
  concurrency: number;
  durationMs: number;
}

const p = workerParams<PgParams>();
const db = new pg.Pool({ connectionString: p.url, max: p.poolSize });
await db.query(
  'CREATE TABLE IF NOT EXISTS bench_round_trip (id text PRIMARY KEY, payload jsonb NOT NULL, expires_at timestamptz NOT NULL)',
);
const payload = JSON.stringify({
  accountId: randomBytes(16).toString('hex'),
  clientId: 'kubectl',
  scope: 'openid email profile groups offline_access',
  grantId: randomBytes(16).toString('base64url'),
  iat: 1,
  exp: 2,
});

async function roundTrip(): Promise<void> {
  const id = randomBytes(16).toString('base64url');
  await db.query(
    "INSERT INTO bench_round_trip (id, payload, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
    [id, payload],
  );
  const r = await db.query('SELECT payload FROM bench_round_trip WHERE id = $1', [id]);
  if (r.rowCount !== 1) throw new Error('row not found');
}

for (let i = 0; i < 100; i++) await roundTrip();
const cpu0 = process.cpuUsage();
const start = performance.now();
let n = 0;
await Promise.all(
  Array.from({ length: p.concurrency }, async () => {
    while (performance.now() - start < p.durationMs) {
      await roundTrip();
      n++;
    }
  }),
);
const elapsed = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
await db.query('TRUNCATE bench_round_trip');
await db.end();
report({
  rate: Math.round((n / elapsed) * 1000),
  cpuPerOpMs: Math.round(((cpu.user + cpu.system) / 1000 / n) * 1000) / 1000,
});
