import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { cpuMs, report, withChildren, workerParams } from '../lib/children.js';

/**
 * The database limit: an INSERT of a jsonb row then a SELECT of it by primary key (what the
 * adapter does for a token: upsert, find), through a pg Pool of sigil's default size.
 */
interface PgParams {
  url: string;
  /** Named (server-side prepared, planned once per connection) statements instead of unnamed. */
  named: boolean;
  poolSize: number;
  /** The postmaster: its children's CPU (the backends) is measured here, before they exit. */
  postmasterPid: number;
  concurrency: number;
  durationMs: number;
  repeats: number;
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
  await db.query({
    ...(p.named ? { name: 'bench-insert' } : {}),
    text: "INSERT INTO bench_round_trip (id, payload, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
    values: [id, payload],
  });
  const r = await db.query({
    ...(p.named ? { name: 'bench-select' } : {}),
    text: 'SELECT payload FROM bench_round_trip WHERE id = $1',
    values: [id],
  });
  if (r.rowCount !== 1) throw new Error('row not found');
}

// Warm up with every pool connection open, so the backends exist before the measurement.
await Promise.all(Array.from({ length: p.concurrency }, () => roundTrip()));
for (let i = 0; i < 100; i++) await roundTrip();
const serverCpu = () => withChildren(p.postmasterPid).reduce((sum, pid) => sum + cpuMs(pid), 0);

async function measure(): Promise<{ rate: number; cpuPerOpMs: number; serverCpuPerOpMs: number }> {
  const server0 = serverCpu();
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
  const serverMs = serverCpu() - server0;
  return {
    rate: Math.round((n / elapsed) * 1000),
    cpuPerOpMs: Math.round(((cpu.user + cpu.system) / 1000 / n) * 1000) / 1000,
    serverCpuPerOpMs: Math.round((serverMs / n) * 1000) / 1000,
  };
}

const runs = [];
for (let r = 0; r < p.repeats; r++) runs.push(await measure());
await db.query('TRUNCATE bench_round_trip');
await db.end();
report({ runs });
