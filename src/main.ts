import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildProgram, CommanderError, type CliHandlers } from './cli/program.js';
import { devBanner } from './cli/banner.js';
import { DEFAULT_DATA_DIR, LOG_LEVELS, resolveStorage } from './config/index.js';
import { devConfig, devPasswordFile } from './config/dev.js';
import { renderConfigReference } from './config/docs.js';
import { ConfigError, loadConfig } from './config/load.js';
import { configSchema, type Config } from './config/schema.js';
import { runLdapCheck } from './connectors/ldap/index.js';
import { hashPassword } from './connectors/static/index.js';
import { readSecret } from './cli/prompt.js';
import { apiServerConfigOutput, kubeconfigOutput } from './cli/kube.js';
import { runKeysCommand } from './cli/keys-command.js';
import { recordAdminAction, runAudit } from './cli/audit.js';
import type { AuditEvent } from './security/index.js';
import { AppError, errorMessage } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { packageRoot } from './paths.js';
import { startServer } from './server.js';
import { migrate, openDb } from './storage/index.js';
import { ensureDevTls } from './tls/index.js';

/**
 * The `sigil` command. Every command either does its job or prints one line (or, for config
 * problems, one line per problem) to stderr and exits non-zero.
 */

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function configFile(given: string | undefined): string | undefined {
  const f = given ?? process.env['SIGIL_CONFIG'];
  return f === undefined || f === '' ? undefined : f;
}

/** The config's logger; SIGIL_LOG_LEVEL, when set and not empty, overrides the level. */
function loggerFor(config: Config): Logger {
  const fromEnv = process.env['SIGIL_LOG_LEVEL'] ?? '';
  if (fromEnv !== '' && !(LOG_LEVELS as readonly string[]).includes(fromEnv))
    throw new AppError(
      'CONFIG_INVALID',
      `SIGIL_LOG_LEVEL=${fromEnv.slice(0, 40)}: expected one of ${LOG_LEVELS.join(', ')}`,
    );
  return createLogger({
    level: fromEnv === '' ? config.logger.level : fromEnv,
    format: config.logger.format,
  });
}

/** Zero-config start: dev TLS, a demo password kept in the data dir, the dev config. */
async function prepareDev(): Promise<{ config: Config; caFile: string; password: string }> {
  const dataDir = resolve(process.env['SIGIL_DATA_DIR'] ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tls = await ensureDevTls(dataDir);
  const pwFile = devPasswordFile(dataDir);
  let password: string;
  try {
    password = readFileSync(pwFile, 'utf8').trim();
  } catch {
    password = randomBytes(12).toString('base64url');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  }
  const config = devConfig({
    dataDir,
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    caFile: tls.caFile,
    demoHash: await hashPassword(password),
  });
  return { config, caFile: tls.caFile, password };
}

const handlers: CliHandlers = {
  async serve(o) {
    const file = configFile(o.config);
    const dev = file === undefined ? await prepareDev() : undefined;
    const config = dev?.config ?? loadConfig(file ?? '');
    const log = loggerFor(config);
    if (config.dev)
      log.warn(
        'development setup: generated CA, embedded database, demo user; do not use in production',
      );
    const server = await startServer({
      config,
      log,
      onListening: () => {
        if (dev !== undefined)
          process.stdout.write(
            devBanner({ issuer: config.issuer, caFile: dev.caFile, password: dev.password }),
          );
      },
    });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: draining requests');
      server.close().then(
        () => {
          log.info('stopped');
          log.flush();
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
      setTimeout(() => {
        process.exit(1);
      }, 15_000).unref();
    };
    process.once('SIGTERM', () => {
      stop('SIGTERM');
    });
    process.once('SIGINT', () => {
      stop('SIGINT');
    });
  },

  async migrate(o) {
    const file = configFile(o.config);
    const config = file === undefined ? (await prepareDev()).config : loadConfig(file);
    const db = await openDb(resolveStorage(config, process.env));
    try {
      const { applied } = await migrate(db);
      process.stdout.write(
        applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`,
      );
    } finally {
      await db.close();
    }
  },

  configCheck(file) {
    const config = loadConfig(file);
    process.stdout.write(
      `${file}: ok (issuer ${config.issuer}, ${config.staticClients.length} client(s), ${config.connectors.length + (config.enablePasswordDB ? 1 : 0)} connector(s))\n`,
    );
    return Promise.resolve();
  },

  configDocs() {
    process.stdout.write(renderConfigReference(configSchema));
    return Promise.resolve();
  },

  version() {
    process.stdout.write(`sigil ${version()}\n`);
    return Promise.resolve();
  },

  kubeApiserverConfig(o) {
    const file = configFile(o.config);
    if (file === undefined)
      throw new AppError(
        'CLI_USAGE',
        'sigil kube apiserver-config needs --config (or SIGIL_CONFIG)',
      );
    const out = apiServerConfigOutput(loadConfig(file), file, o);
    for (const note of out.notes) process.stderr.write(`sigil: ${note}\n`);
    process.stdout.write(out.stdout);
    return Promise.resolve();
  },

  kubeKubeconfig(o) {
    const file = configFile(o.config);
    if (file === undefined)
      throw new AppError('CLI_USAGE', 'sigil kube kubeconfig needs --config (or SIGIL_CONFIG)');
    process.stdout.write(kubeconfigOutput(loadConfig(file), file, o.cluster));
    return Promise.resolve();
  },

  async ldapCheck(o) {
    const file = configFile(o.config);
    if (file === undefined) {
      throw new AppError('CLI_USAGE', 'sigil ldap check needs --config (or SIGIL_CONFIG)');
    }
    const config = loadConfig(file);
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
    const outcome = { refused: false };
    await runLdapCheck(
      connector.config,
      {
        ...(o.user === undefined ? {} : { username: o.user }),
        ...(password === undefined ? {} : { password }),
      },
      (line) => {
        if (/^(login: refused|user: no entry|user: more than one)/.test(line))
          outcome.refused = true;
        process.stdout.write(`${line}\n`);
      },
    );
    if (outcome.refused) process.exitCode = 2;
  },

  async keys(o, cmd) {
    const file = configFile(o.config);
    if (file === undefined) {
      throw new AppError('CLI_USAGE', `sigil keys ${cmd.action} needs --config (or SIGIL_CONFIG)`);
    }
    const config = loadConfig(file);
    const caused: AuditEvent[] = [];
    await runKeysCommand(config, cmd, {
      write: (line) => process.stdout.write(`${line}\n`),
      onEvent: (e) => {
        caused.push({ event: e.type, outcome: 'success', reason: e.reason, details: { ...e } });
      },
    });
    if (cmd.action !== 'list') {
      const quiet = createLogger({ level: 'silent', format: 'json' });
      await recordAdminAction(config, quiet, `keys.${cmd.action}`, caused, { ...cmd });
    }
  },

  async audit(o) {
    const file = configFile(o.config);
    if (file === undefined) {
      throw new AppError('CLI_USAGE', 'sigil audit needs --config (or SIGIL_CONFIG)');
    }
    await runAudit(loadConfig(file), o, (line) => process.stdout.write(`${line}\n`));
  },
};

async function main(argv: string[]): Promise<void> {
  const program = buildProgram(handlers, version());
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`sigil: ${err.message}\n`);
    } else if (err instanceof AppError) {
      process.stderr.write(`sigil: ${err.message.split('\n')[0] ?? err.code} [${err.code}]\n`);
    } else {
      process.stderr.write(`sigil: ${errorMessage(err).split('\n')[0] ?? 'failed'}\n`);
    }
    process.exitCode = 1;
  }
}

await main(process.argv);
