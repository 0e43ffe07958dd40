import { runLdapCheck } from '../connectors/index.js';
import { AppError } from '../errors.js';
import { readSecret } from './prompt.js';
import { requireConfig } from './require-config.js';
import type { LdapCheckOptions } from './program/index.js';
import { printLine, type CommandResult } from './result.js';

/**
 * `sigil ldap check`: prints what it finds as it goes. Exit code 2 when the user is not found,
 * is ambiguous or the password is refused (findings, not failures of the check).
 */
export async function ldapCheck(o: LdapCheckOptions): Promise<CommandResult> {
  const { file, config } = requireConfig('ldap check', o.config);
  const connector =
    o.connector === undefined
      ? config.connectors[0]
      : config.connectors.find((c) => c.id === o.connector);
  if (connector === undefined) {
    throw new AppError(
      'CLI_USAGE',
      o.connector === undefined
        ? `${file} has no LDAP connector`
        : `no connector ${o.connector} in ${file}`,
    );
  }
  if (o.password === true && o.user === undefined) {
    throw new AppError('CLI_USAGE', '--password needs --user');
  }
  const password =
    o.password === true ? await readSecret(`password for ${o.user ?? ''}: `) : undefined;
  const { outcome } = await runLdapCheck(
    connector.config,
    {
      ...(o.user === undefined ? {} : { username: o.user }),
      ...(password === undefined ? {} : { password }),
    },
    printLine,
  );
  return { exitCode: outcome === 'ok' ? 0 : 2 };
}
