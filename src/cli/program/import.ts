import type { Command } from 'commander';
import type { CommandResult, Done } from '../result.js';

export interface ImportDexOptions {
  config?: string | undefined;
  from?: string | undefined;
  dryRun?: boolean | undefined;
}

export interface ImportCliHandlers {
  importDex(opts: ImportDexOptions): Promise<CommandResult>;
}

export function addImportCommands(
  program: Command,
  h: ImportCliHandlers,
  configOption: readonly [string, string],
  done: Done,
): void {
  const imp = program.command('import').description('bring data over from another provider');
  imp
    .command('dex')
    .description(
      'import a Dex database: its keys, API clients, password users and refresh tokens (one transaction; running it again changes nothing)',
    )
    .requiredOption(
      '--from <source>',
      'postgres://user:pass@host/db, or the path of a Dex SQLite file',
    )
    .option('--dry-run', 'read and check everything and say what would be imported; write nothing')
    .option(...configOption)
    .action((o: ImportDexOptions) => done(h.importDex(o)));
}
