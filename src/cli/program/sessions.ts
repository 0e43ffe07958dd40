import type { Command } from 'commander';
import type { CommandResult, Done } from '../result.js';

export interface SessionsListOptions {
  config?: string | undefined;
  user?: string | undefined;
  client?: string | undefined;
  all?: boolean | undefined;
  limit: string;
  json?: boolean | undefined;
}

export interface SessionsRevokeOptions {
  config?: string | undefined;
  user?: string | undefined;
  client?: string | undefined;
  reason?: string | undefined;
}

export interface SessionsCliHandlers {
  sessionsList(opts: SessionsListOptions): Promise<CommandResult>;
  sessionsRevoke(id: string | undefined, opts: SessionsRevokeOptions): Promise<CommandResult>;
}

export function addSessionsCommands(
  program: Command,
  h: SessionsCliHandlers,
  configOption: readonly [string, string],
  done: Done,
): void {
  const sessions = program
    .command('sessions')
    .description('logins (sessions): list them, end one, or offboard a person');
  sessions
    .command('list')
    .description('active sessions, most recently used first')
    .option(...configOption)
    .option('--user <name>', 'only this username, as typed at login (case-insensitive)')
    .option('--client <id>', 'only this client_id')
    .option('--all', 'include ended and expired sessions')
    .option('--limit <n>', 'at most this many', '1000')
    .option('--json', 'one JSON array of sessions')
    .action((o: SessionsListOptions) => done(h.sessionsList(o)));
  sessions
    .command('revoke [id]')
    .description(
      'end one session by id, or with --user every session, browser session and device code of a person (offboarding)',
    )
    .option(...configOption)
    .option('--user <name>', 'the person, by username as typed at login')
    .option('--client <id>', 'with --user: only that client’s sessions')
    .option('--reason <slug>', 'why, for the audit trail', 'operator')
    .action((id: string | undefined, o: SessionsRevokeOptions) => done(h.sessionsRevoke(id, o)));
}
