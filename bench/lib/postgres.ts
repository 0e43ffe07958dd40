import { adminQuery, startOwnPostgres, type OwnPostgres } from '../../test/support/postgres.js';

/**
 * The bench's own PostgreSQL cluster: the tests' throwaway cluster (test/support/postgres.ts)
 * with room for the bench's connections and pg_stat_statements for its statement counts.
 */
export async function startPostgres(): Promise<OwnPostgres> {
  const pg = await startOwnPostgres({
    settings: [
      'max_connections=200',
      'shared_buffers=128MB',
      // Statement counts per operation (SQL statements per refresh, per login) for the report.
      'shared_preload_libraries=pg_stat_statements',
    ],
  });
  if (pg === undefined)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  return pg;
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
