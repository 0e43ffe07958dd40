import type { Command } from 'commander';
import type { CommandResult, Done } from '../result.js';

export interface MfaCliOptions {
  config?: string | undefined;
  user: string;
  yes?: boolean | undefined;
  json?: boolean | undefined;
}

export interface MfaCliHandlers {
  mfaList(opts: MfaCliOptions): Promise<CommandResult>;
  mfaReset(opts: MfaCliOptions): Promise<CommandResult>;
}

/** `sigil mfa list|reset --user NAME`: a person's second factors, and the lost-phone reset. */
export function addMfaCommands(
  program: Command,
  h: MfaCliHandlers,
  configOption: readonly [string, string],
  done: Done,
): void {
  const mfa = program.command('mfa').description('second factors of a person (TOTP, passkeys)');
  mfa
    .command('list')
    .description("list a person's second factors and unused recovery codes")
    .option(...configOption)
    .requiredOption('--user <name>', 'the username as typed at login (case-insensitive)')
    .option('--json', 'one JSON object per factor')
    .action((o: MfaCliOptions) => done(h.mfaList(o)));
  mfa
    .command('reset')
    .description(
      'remove every second factor and recovery code of a person (a lost phone); audited as mfa.reset',
    )
    .option(...configOption)
    .requiredOption('--user <name>', 'the username as typed at login (case-insensitive)')
    .option('--yes', 'do not ask for confirmation')
    .action((o: MfaCliOptions) => done(h.mfaReset(o)));
}
