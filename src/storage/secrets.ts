import { randomBytes } from 'node:crypto';
import type { Queryable } from './db.js';

/**
 * Returns the shared secret `name`, creating it on first use. Every replica reads the same
 * value (cookie-signing keys must match across replicas and restarts).
 */
export async function sharedSecret(db: Queryable, name: string, bytes = 32): Promise<string> {
  await db.query(
    'INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
    [name, randomBytes(bytes).toString('base64url')],
  );
  const { rows } = await db.query<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [
    name,
  ]);
  const value = rows[0]?.value;
  if (value === undefined) throw new Error(`secret ${name} vanished`);
  return value;
}
