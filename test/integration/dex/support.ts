import { resolveStorage, type Config } from '../../../src/config/index.js';
import { importDex, openDexSource, readDex, type ImportReport } from '../../../src/dex/index.js';
import { sealerFor } from '../../../src/keys/index.js';
import { migrate, openDb } from '../../../src/storage/index.js';

/** Runs the import as `sigil import dex` does (read all, then one transaction), in process. */
export async function runImport(config: Config, from: string): Promise<ImportReport> {
  const source = await openDexSource(from);
  let data;
  try {
    data = await readDex(source);
  } finally {
    await source.close();
  }
  const db = await openDb(resolveStorage(config, {}));
  try {
    await migrate(db);
    return await importDex({ db, config, sealer: sealerFor(config.keys.encryptionSecret) }, data);
  } finally {
    await db.close();
  }
}

/**
 * Dex's `sub` for a user id and connector id, encoded here by hand (protobuf field 1 and 2,
 * wire type 2, one-byte lengths), independently of src/lib/dex-codec.ts.
 */
export function handEncodedDexSub(userId: string, connId: string): string {
  const u = Buffer.from(userId);
  const c = Buffer.from(connId);
  return Buffer.concat([
    Buffer.from([0x0a, u.length]),
    u,
    Buffer.from([0x12, c.length]),
    c,
  ]).toString('base64url');
}
