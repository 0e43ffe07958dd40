import { Command, CommanderError } from 'commander';
import type { CommandResult, Done } from '../result.js';
import { addAuditCommand, type AuditCliHandlers } from './audit.js';
import { addElevationsCommands, type ElevationsCliHandlers } from './elevations.js';
import { addImportCommands, type ImportCliHandlers } from './import.js';
import { addKeysCommands, type KeysCliHandlers } from './keys.js';
import { addKubeCommands, type KubeCliHandlers } from './kube.js';
import { addMfaCommands, type MfaCliHandlers } from './mfa.js';
import { addSessionsCommands, type SessionsCliHandlers } from './sessions.js';

export interface LdapCheckOptions {
  config?: string | undefined;
  connector?: string | undefined;
  user?: string | undefined;
  password?: boolean | undefined;
}

/** What each command does (one file each under cli/); run.ts supplies them. */
export interface CliHandlers
  extends
    KubeCliHandlers,
    AuditCliHandlers,
    KeysCliHandlers,
    MfaCliHandlers,
    ImportCliHandlers,
    SessionsCliHandlers,
    ElevationsCliHandlers {
  serve(opts: { config?: string | undefined }): Promise<CommandResult>;
  migrate(opts: { config?: string | undefined }): Promise<CommandResult>;
  configCheck(file: string, opts?: { fromDex?: boolean }): Promise<CommandResult>;
  configDocs(): Promise<CommandResult>;
  version(): Promise<CommandResult>;
  ldapCheck(opts: LdapCheckOptions): Promise<CommandResult>;
}

const configOption = [
  '-c, --config <file>',
  'configuration file (default: $SIGIL_CONFIG, else zero-config dev mode)',
] as const;

/**
 * The commander program. `onResult` receives each command's result (the unit tests leave it
 * out and only look at what was parsed).
 */
export function buildProgram(
  h: CliHandlers,
  version: string,
  onResult: (result: CommandResult) => void = () => undefined,
): Command {
  const done: Done = async (result) => {
    onResult(await result);
  };
  const program = new Command('sigil')
    .description('OpenID Connect identity provider for Kubernetes')
    .version(version, '-V, --version')
    .showHelpAfterError('(run sigil --help for usage)')
    .exitOverride();

  program
    .command('serve', { isDefault: true })
    .description('run the identity provider')
    .option(...configOption)
    .action((o: { config?: string }) => done(h.serve(o)));

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .option(...configOption)
    .action((o: { config?: string }) => done(h.migrate(o)));

  const config = program.command('config').description('configuration tools');
  config
    .command('check <file>')
    .description('validate a configuration file and print every problem')
    .option(
      '--from-dex',
      "the file is Dex's: print, key by key, what will behave differently in sigil (exit 0: sigil runs it as it is; 1: the keys named must change first)",
    )
    .action((file: string, o: { fromDex?: boolean }) =>
      done(h.configCheck(file, o.fromDex === true ? { fromDex: true } : {})),
    );
  config
    .command('docs')
    .description('print the configuration reference (Markdown)')
    .action(() => done(h.configDocs()));

  const ldap = program.command('ldap').description('LDAP tools');
  ldap
    .command('check')
    .description('bind, search a user and their groups, and print what the id_token would carry')
    .option(...configOption)
    .option('--connector <id>', 'LDAP connector id (default: the first)')
    .option('--user <name>', 'username to look up')
    .option('--password', 'prompt for the user password and test a real login')
    .action((o: { config?: string; connector?: string; user?: string; password?: boolean }) =>
      done(h.ldapCheck(o)),
    );

  addKeysCommands(program, h, configOption, done);
  addKubeCommands(program, h, configOption, done);
  addAuditCommand(program, h, configOption, done);
  addMfaCommands(program, h, configOption, done);
  addImportCommands(program, h, configOption, done);
  addSessionsCommands(program, h, configOption, done);
  addElevationsCommands(program, h, configOption, done);

  program
    .command('version')
    .description('print the version')
    .action(() => done(h.version()));

  return program;
}

export { CommanderError };
export type { AuditCliOptions } from './audit.js';
export type { ImportDexOptions } from './import.js';
export type { SessionsListOptions, SessionsRevokeOptions } from './sessions.js';
export type { ElevationsEndOptions, ElevationsListOptions } from './elevations.js';
export type { KeysCommand } from './keys.js';
export type { MfaCliOptions } from './mfa.js';
export {
  API_SERVER_FORMATS,
  DEFAULT_CA_PATH,
  type ApiServerConfigOptions,
  type ApiServerFormat,
  type KubeSyncOptions,
} from './kube.js';
