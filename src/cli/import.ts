import { userInfo } from 'node:os';
import { resolveStorage, type Config } from '../config/index.js';
import {
  connectorsToPaste,
  formatReport,
  importDex as runImport,
  openDexSource,
  readDex,
  type DexData,
} from '../dex/index.js';
import { AppError } from '../errors.js';
import { sealerFor } from '../keys/index.js';
import { createLogger } from '../log.js';
import { createAudit } from '../security/index.js';
import { migrate, openDb } from '../storage/index.js';
import type { ImportDexOptions } from './program/index.js';
import { requireConfig } from './require-config.js';
import type { CommandResult } from './result.js';

/** The operator who ran the command (the OS user), as the audit trail names them. */
function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown'; // no passwd entry (containers)
  }
}

/** Reads the whole Dex database first: a refusal leaves sigil's database untouched. */
async function readSource(from: string): Promise<DexData> {
  const source = await openDexSource(from);
  try {
    return await readDex(source);
  } finally {
    await source.close();
  }
}

async function importInto(config: Config, data: DexData, dryRun: boolean): Promise<string> {
  const db = await openDb(resolveStorage(config, process.env));
  try {
    if (!dryRun) await migrate(db);
    else {
      const { rows } = await db.query<{ t: string | null }>(
        `SELECT to_regclass('dex_refresh_tokens')::text AS t`,
      );
      if (rows[0]?.t == null)
        throw new AppError(
          'CLI_USAGE',
          'a dry run needs a migrated database: run `sigil migrate` first',
        );
    }
    const report = await runImport(
      { db, config, sealer: sealerFor(config.keys.encryptionSecret), dryRun },
      data,
    );
    if (report.changed && !dryRun) {
      const audit = createAudit(db, createLogger({ level: 'silent', format: 'json' }));
      const actor = operator();
      await audit.record({
        event: 'dex.imported',
        outcome: 'success',
        username: actor,
        reason: 'cli',
        details: {
          actor: { kind: 'operator', id: actor },
          source: data.kind,
          schemaVersion: data.version,
          counts: report.counts,
          skipped: report.skipped.length,
        },
      });
      // The audit rows are written in batches: write them before the database closes.
      await audit.close();
    }
    return formatReport(report, connectorsToPaste(config, data.connectors));
  } finally {
    await db.close();
  }
}

/**
 * `sigil import dex --from <postgres URL | SQLite file> --config F`: brings a Dex database's
 * keys, API clients, password users and refresh tokens into sigil's (docs/dex-import.md).
 */
export async function importDex(o: ImportDexOptions): Promise<CommandResult> {
  const from = o.from?.trim() ?? '';
  if (from === '' || from.length > 4096 || from.includes('\u0000'))
    throw new AppError(
      'CLI_USAGE',
      '--from takes a postgres:// URL or the path of a Dex SQLite file',
    );
  const { config } = requireConfig('import dex', o.config);
  const data = await readSource(from);
  return { exitCode: 0, stdout: await importInto(config, data, o.dryRun === true) };
}
