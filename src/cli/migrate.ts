import { loadConfig, resolveStorage } from '../config/index.js';
import { migrate as migrateDb, openDb } from '../storage/index.js';
import { prepareDev } from './dev.js';
import { configFile } from './require-config.js';
import type { CommandResult } from './result.js';

/** `sigil migrate`: applies the migrations (the dev setup's database without a config). */
export async function migrate(o: { config?: string | undefined }): Promise<CommandResult> {
  const file = configFile(o.config);
  const config = file === undefined ? (await prepareDev()).config : loadConfig(file);
  const db = await openDb(resolveStorage(config, process.env));
  try {
    const { applied } = await migrateDb(db);
    return {
      exitCode: 0,
      stdout:
        applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`,
    };
  } finally {
    await db.close();
  }
}
