import { ConfigError } from '../config/index.js';
import { AppError, errorMessage } from '../errors.js';
import { audit } from './audit.js';
import { configCheck, configDocs } from './config.js';
import { keys } from './keys.js';
import { kubeApiserverConfig, kubeKubeconfig } from './kube.js';
import { ldapCheck } from './ldap.js';
import { migrate } from './migrate.js';
import { buildProgram, CommanderError, type CliHandlers } from './program.js';
import type { CommandResult } from './result.js';
import { serve } from './serve.js';
import { packageVersion, version } from './version.js';

const COMMANDS: CliHandlers = {
  serve,
  migrate,
  configCheck,
  configDocs,
  version,
  ldapCheck,
  keys,
  kubeApiserverConfig,
  kubeKubeconfig,
  audit,
};

/**
 * The `sigil` command. Every command either does its job or prints one line (or, for config
 * problems, one line per problem) to stderr and exits non-zero. Sets process.exitCode from
 * the command's result.
 */
export async function runCli(argv: string[]): Promise<void> {
  let result: CommandResult | undefined;
  try {
    await buildProgram(COMMANDS, packageVersion(), (r) => {
      result = r;
    }).parseAsync(argv);
  } catch (err) {
    process.exitCode = exitOnError(err);
    return;
  }
  if (result === undefined) return;
  for (const note of result.notes ?? []) process.stderr.write(`sigil: ${note}\n`);
  if (result.stdout !== undefined) process.stdout.write(result.stdout);
  if (result.exitCode !== 0) process.exitCode = result.exitCode;
}

/** Prints what went wrong (one line, or one per config problem); answers the exit code. */
function exitOnError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof ConfigError) {
    process.stderr.write(`sigil: ${err.message}\n`);
  } else if (err instanceof AppError) {
    process.stderr.write(`sigil: ${err.message.split('\n')[0] ?? err.code} [${err.code}]\n`);
  } else {
    process.stderr.write(`sigil: ${errorMessage(err).split('\n')[0] ?? 'failed'}\n`);
  }
  return 1;
}
