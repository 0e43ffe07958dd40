import { Option, type Command } from 'commander';
import type { AuditOutcome } from '../../storage/index.js';
import type { CommandResult, Done } from '../result.js';

/** The outcomes `--outcome` accepts: a record over AuditOutcome, so the compiler keeps them in step. */
const OUTCOMES: Readonly<Record<AuditOutcome, true>> = {
  success: true,
  failure: true,
  locked: true,
  denied: true,
};

export interface AuditCliOptions {
  config?: string | undefined;
  user?: string | undefined;
  client?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  event?: string | undefined;
  outcome?: AuditOutcome | undefined;
  limit: string;
  json?: boolean | undefined;
}

export interface AuditCliHandlers {
  audit(opts: AuditCliOptions): Promise<CommandResult>;
}

export function addAuditCommand(
  program: Command,
  h: AuditCliHandlers,
  configOption: readonly [string, string],
  done: Done,
): void {
  program
    .command('audit')
    .description(
      'print the audit trail: logins, token issues, refreshes, revocations, logouts, key and admin events',
    )
    .option(...configOption)
    .option('--user <name>', 'only this username (case-insensitive)')
    .option('--client <id>', 'only this client_id')
    .option('--since <when>', 'only events after this: a duration back from now (24h) or a time')
    .option('--until <when>', 'only events before this: a duration back from now or a time')
    .option('--event <name>', 'only this event, or a prefix ending in * (token.*)')
    .addOption(
      new Option('--outcome <outcome>', 'only this outcome').choices(Object.keys(OUTCOMES)),
    )
    .option('--limit <n>', 'at most this many (the newest), printed oldest first', '1000')
    .option('--json', 'one JSON object per line')
    .action((o: AuditCliOptions) => done(h.audit(o)));
}
