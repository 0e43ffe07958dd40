import { Command, CommanderError } from 'commander';
import { addAuditCommand, type AuditCliHandlers } from './audit.js';
import { addKubeCommands, type KubeCliHandlers } from './kube.js';
import type { KeysCommand } from './keys-command.js';

/** What each command does; main.ts supplies them (the composition root owns the wiring). */
export interface CliHandlers extends KubeCliHandlers, AuditCliHandlers {
  serve(opts: { config?: string | undefined }): Promise<void>;
  migrate(opts: { config?: string | undefined }): Promise<void>;
  configCheck(file: string): Promise<void>;
  configDocs(): Promise<void>;
  version(): Promise<void>;
  ldapCheck(opts: {
    config?: string | undefined;
    connector?: string | undefined;
    user?: string | undefined;
    password?: boolean | undefined;
  }): Promise<void>;
  keys(opts: { config?: string | undefined }, cmd: KeysCommand): Promise<void>;
}

const configOption = [
  '-c, --config <file>',
  'configuration file (default: $SIGIL_CONFIG, else zero-config dev mode)',
] as const;

export function buildProgram(h: CliHandlers, version: string): Command {
  const program = new Command('sigil')
    .description('OpenID Connect identity provider for Kubernetes')
    .version(version, '-V, --version')
    .showHelpAfterError('(run sigil --help for usage)')
    .exitOverride();

  program
    .command('serve', { isDefault: true })
    .description('run the identity provider')
    .option(...configOption)
    .action((o: { config?: string }) => h.serve(o));

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .option(...configOption)
    .action((o: { config?: string }) => h.migrate(o));

  const config = program.command('config').description('configuration tools');
  config
    .command('check <file>')
    .description('validate a configuration file and print every problem')
    .action((file: string) => h.configCheck(file));
  config
    .command('docs')
    .description('print the configuration reference (Markdown)')
    .action(() => h.configDocs());

  const ldap = program.command('ldap').description('LDAP tools');
  ldap
    .command('check')
    .description('bind, search a user and their groups, and print what the id_token would carry')
    .option(...configOption)
    .option('--connector <id>', 'LDAP connector id (default: the first)')
    .option('--user <name>', 'username to look up')
    .option('--password', 'prompt for the user password and test a real login')
    .action((o: { config?: string; connector?: string; user?: string; password?: boolean }) =>
      h.ldapCheck(o),
    );

  const keys = program
    .command('keys')
    .description('signing keys: list, rotate, revoke, re-encrypt');
  keys
    .command('list')
    .description('print every signing key: kid, algorithm, state, created, activated, retired')
    .option(...configOption)
    .action((o: { config?: string }) => h.keys(o, { action: 'list' }));
  keys
    .command('rotate')
    .description('rotate when due (rotation period and lead time passed)')
    .option(...configOption)
    .option('--now', 'promote the published next key at once')
    .action((o: { config?: string; now?: boolean }) =>
      h.keys(o, { action: 'rotate', now: o.now === true }),
    );
  keys
    .command('revoke <kid>')
    .description(
      'emergency for a leaked key: unpublish it, sign with another, make refresh tokens it covered log in again',
    )
    .option(...configOption)
    .option('--no-wait', 'skip the second sweep after replicas have caught up')
    // A kid is an RFC 7638 thumbprint in base64url: one in 64 begins with '-'. Such an
    // operand is the key id, not an unknown option; a mistyped option still fails (as an
    // excess argument, or as a key id no key has).
    .allowUnknownOption()
    .action((kid: string, o: { config?: string; wait: boolean }) =>
      h.keys(o, { action: 'revoke', kid, wait: o.wait }),
    );
  keys
    .command('reencrypt')
    .description('re-encrypt the private keys under the configured keys.encryptionSecret')
    .option(...configOption)
    .option('--old-secret-file <file>', 'file holding the previous key-encryption secret')
    .action((o: { config?: string; oldSecretFile?: string }) =>
      h.keys(o, { action: 'reencrypt', oldSecretFile: o.oldSecretFile }),
    );

  addKubeCommands(program, h, configOption);
  addAuditCommand(program, h, configOption);

  program
    .command('version')
    .description('print the version')
    .action(() => h.version());

  return program;
}

export { CommanderError };
