import type { Command } from 'commander';
import type { CommandResult, Done } from '../result.js';

export interface ElevationsListOptions {
  config?: string | undefined;
  user?: string | undefined;
  active?: boolean | undefined;
  limit: string;
  json?: boolean | undefined;
}

export interface ElevationsEndOptions {
  config?: string | undefined;
  comment?: string | undefined;
}

export interface ElevationsCliHandlers {
  elevationsList(opts: ElevationsListOptions): Promise<CommandResult>;
  elevationsEnd(id: string, opts: ElevationsEndOptions): Promise<CommandResult>;
}

export function addElevationsCommands(
  program: Command,
  h: ElevationsCliHandlers,
  configOption: readonly [string, string],
  done: Done,
): void {
  const elevations = program
    .command('elevations')
    .description('just-in-time elevation: list requests and grants, end a grant early');
  elevations
    .command('list')
    .description('elevation requests and grants, newest first')
    .option(...configOption)
    .option('--active', 'only grants active now')
    .option('--user <name>', 'only this username, as typed at login (case-insensitive)')
    .option('--limit <n>', 'at most this many', '1000')
    .option('--json', 'one JSON array of elevations')
    .action((o: ElevationsListOptions) => done(h.elevationsList(o)));
  elevations
    .command('end <id>')
    .description(
      'end an active grant now (its logins’ earlier tokens get deny entries), or withdraw a pending request',
    )
    .option(...configOption)
    .option('--comment <text>', 'why, for the audit trail')
    .action((id: string, o: ElevationsEndOptions) => done(h.elevationsEnd(id, o)));
}
