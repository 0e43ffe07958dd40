import { AppError, errorMessage, isAppError } from '../errors.js';
import { buildProgram, CommanderError, type CliHandlers } from './program/index.js';
import type { CommandResult } from './result.js';
import { packageVersion, version } from './version.js';

/**
 * Each command's code is loaded when that command runs, not before: `sigil version` or
 * `sigil kube apiserver-config` does not pay for oidc-provider, Koa and the database drivers
 * that only `serve` needs. The program (cli/program/) declares every command and option
 * without importing any of them.
 */
const COMMANDS: CliHandlers = {
  serve: async (o) => (await import('./serve.js')).serve(o),
  migrate: async (o) => (await import('./migrate.js')).migrate(o),
  configCheck: async (f, o) => (await import('./config.js')).configCheck(f, o),
  configDocs: async () => (await import('./config.js')).configDocs(),
  version,
  ldapCheck: async (o) => (await import('./ldap.js')).ldapCheck(o),
  keys: async (o, cmd) => (await import('./keys.js')).keys(o, cmd),
  kubeApiserverConfig: async (o) => (await import('./kube.js')).kubeApiserverConfig(o),
  kubeKubeconfig: async (o) => (await import('./kube.js')).kubeKubeconfig(o),
  kubeSync: async (o) => (await import('./kube-sync.js')).kubeSync(o),
  audit: async (o) => (await import('./audit.js')).audit(o),
  mfaList: async (o) => (await import('./mfa.js')).mfaList(o),
  mfaReset: async (o) => (await import('./mfa.js')).mfaReset(o),
  importDex: async (o) => (await import('./import.js')).importDex(o),
  sessionsList: async (o) => (await import('./sessions.js')).sessionsList(o),
  sessionsRevoke: async (id, o) => (await import('./sessions.js')).sessionsRevoke(id, o),
  elevationsList: async (o) => (await import('./elevations.js')).elevationsList(o),
  elevationsEnd: async (id, o) => (await import('./elevations.js')).elevationsEnd(id, o),
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
  if (isAppError(err, 'CONFIG_INVALID') && 'problems' in err) {
    // A ConfigError (config/load.ts): the file and the count, then one line per problem.
    process.stderr.write(`sigil: ${err.message}\n`);
  } else if (err instanceof AppError) {
    process.stderr.write(`sigil: ${err.message.split('\n')[0] ?? err.code} [${err.code}]\n`);
  } else {
    process.stderr.write(`sigil: ${errorMessage(err).split('\n')[0] ?? 'failed'}\n`);
  }
  return 1;
}
